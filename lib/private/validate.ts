import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { isRegionOrToken, regionHint } from './regions';
import { DEFAULT_IOT_QUOTAS } from '../../lambda/contract';

/** An error a user can hit at synth time: names the construct path, then what to change. */
export function propError(scope: IConstruct, message: string): Error {
  return new Error(`${scope.node.path}: ${message}`);
}

/** Throws unless `value` is a region aws-cdk-lib knows (or a token); suggests the closest one. */
export function checkRegion(scope: IConstruct, prop: string, value: string, example: string): void {
  if (!isRegionOrToken(value)) {
    throw propError(scope, `${prop} must be a region name such as '${example}', got '${value}'${regionHint(value)}`);
  }
}

/** DynamoDB table names: 3 to 255 characters of letters, digits, '_', '-' and '.'. */
export function checkTableName(scope: IConstruct, prop: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(name)) {
    throw propError(scope, `${prop} must be 3 to 255 characters of letters, digits, '_', '-' or '.', got '${name}'`);
  }
}

/** Throws unless `value` (a Duration) lies in [min, max]; names the prop and the range. */
export function checkDuration(scope: IConstruct, prop: string, value: Duration, min: Duration, max?: Duration): void {
  if (value.isUnresolved()) return;
  const s = value.toSeconds();
  if (s < min.toSeconds() || (max !== undefined && s > max.toSeconds())) {
    const range = max ? `between ${min.toHumanString()} and ${max.toHumanString()}` : `at least ${min.toHumanString()}`;
    throw propError(scope, `${prop} must be ${range}, got ${value.toHumanString()}`);
  }
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(scope: IConstruct, prop: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw propError(scope, `${prop} must be an integer between ${min} and ${max}, got ${value}`);
  }
}

/** CloudWatch namespaces: 1 to 255 printable ASCII characters, not starting with the reserved `AWS/`. */
export function checkMetricsNamespace(scope: IConstruct, prop: string, namespace: string): void {
  if (Token.isUnresolved(namespace)) return;
  if (!/^[\x20-\x7e]{1,255}$/.test(namespace) || namespace.startsWith('AWS/') || namespace.startsWith(':')) {
    throw propError(
      scope,
      `${prop} must be 1 to 255 printable ASCII characters, not starting with 'AWS/' or ':', got '${namespace}'`,
    );
  }
}

/**
 * Raised IoT quotas (`iotQuotas`): every API must be one the shared rate limiter paces (DEFAULT_IOT_QUOTAS)
 * with a positive TPS. Returns the quotas for chaining.
 */
export function checkIotQuotas(scope: IConstruct, quotas: { readonly [api: string]: number }): Readonly<Record<string, number>> {
  for (const [api, tps] of Object.entries(quotas)) {
    if (!(api in DEFAULT_IOT_QUOTAS)) {
      throw propError(scope, `iotQuotas: '${api}' is not an IoT API the pipeline paces; use one of ${Object.keys(DEFAULT_IOT_QUOTAS).join(', ')}`);
    }
    if (!(typeof tps === 'number' && Number.isFinite(tps) && tps > 0)) {
      throw propError(scope, `iotQuotas: ${api} must be a positive number of calls per second, got ${tps}`);
    }
  }
  return quotas;
}
