/**
 * The health handlers' environment, read and checked once per container; errors name the variable. The
 * names and defaults are the constructs' too (lambda/contract/health.ts).
 */
import {
  AGGREGATOR_ENV,
  DEFAULT_CHECK_TIMEOUT_MS,
  DEFAULT_HEALTH_API_TIMEOUT_MS,
  DEFAULT_MANUAL_MODE_CACHE_MS,
  DEFAULT_MANUAL_MODE_PARAMETER_NAME,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_VERDICT_CACHE_MS,
  HEALTH_API_ENV,
  HEALTH_CHECK_KINDS,
  HealthApiSpec,
  HealthCheckSpec,
  REGION_ROLES,
  RegionRole,
} from '../contract';

type Environment = Readonly<Record<string, string | undefined>>;

export interface RegionalHealthConfig {
  readonly region: string;
  readonly checks: readonly HealthCheckSpec[];
  readonly checkTimeoutMs: number;
  readonly iotDataEndpoint?: string;
  readonly metricsNamespace: string;
  readonly parkingQueueUrl?: string;
}

export interface AggregatorConfig {
  readonly region: string;
  readonly role: RegionRole;
  readonly healthApis: readonly HealthApiSpec[];
  readonly healthApiTimeoutMs: number;
  readonly verdictCacheMs: number;
  readonly manualModeParameterName: string;
  readonly manualModeCacheMs: number;
}

export function readRegionalHealthConfig(env: Environment): RegionalHealthConfig {
  const read = reader(env, 'regional health');
  const checks = read.json<HealthCheckSpec[]>(HEALTH_API_ENV.checks);
  const kinds = Object.values(HEALTH_CHECK_KINDS) as string[];
  for (const check of Array.isArray(checks) ? checks : [undefined]) {
    if (!check || typeof check.name !== 'string' || !kinds.includes(check.kind)) {
      throw new Error(`regional health Lambda: ${HEALTH_API_ENV.checks} must be a JSON array of { kind, name, target? }, got ${JSON.stringify(check)}`);
    }
  }
  return {
    region: read.required('AWS_REGION'),
    checks,
    checkTimeoutMs: read.milliseconds(HEALTH_API_ENV.checkTimeoutMs, DEFAULT_CHECK_TIMEOUT_MS),
    ...optional('iotDataEndpoint', env[HEALTH_API_ENV.iotDataEndpoint]),
    metricsNamespace: env[HEALTH_API_ENV.metricsNamespace] || DEFAULT_METRICS_NAMESPACE,
    ...optional('parkingQueueUrl', env[HEALTH_API_ENV.parkingQueueUrl]),
  };
}

export function readAggregatorConfig(env: Environment): AggregatorConfig {
  const read = reader(env, 'health aggregator');
  const role = read.required(AGGREGATOR_ENV.regionRole);
  if (!(REGION_ROLES as readonly string[]).includes(role)) {
    throw new Error(`health aggregator Lambda: ${AGGREGATOR_ENV.regionRole} must be one of ${REGION_ROLES.join(', ')}, got '${role}'`);
  }
  const healthApis = read.json<HealthApiSpec[]>(AGGREGATOR_ENV.healthApis);
  for (const api of Array.isArray(healthApis) ? healthApis : [undefined]) {
    if (!api || typeof api.name !== 'string' || typeof api.url !== 'string') {
      throw new Error(`health aggregator Lambda: ${AGGREGATOR_ENV.healthApis} must be a JSON array of { name, url }, got ${JSON.stringify(api)}`);
    }
  }
  return {
    region: read.required('AWS_REGION'),
    role: role as RegionRole,
    healthApis,
    healthApiTimeoutMs: read.milliseconds(AGGREGATOR_ENV.healthApiTimeoutMs, DEFAULT_HEALTH_API_TIMEOUT_MS),
    verdictCacheMs: read.milliseconds(AGGREGATOR_ENV.verdictCacheMs, DEFAULT_VERDICT_CACHE_MS),
    manualModeParameterName: env[AGGREGATOR_ENV.manualModeParameterName] || DEFAULT_MANUAL_MODE_PARAMETER_NAME,
    manualModeCacheMs: read.milliseconds(AGGREGATOR_ENV.manualModeCacheMs, DEFAULT_MANUAL_MODE_CACHE_MS),
  };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

function reader(env: Environment, handler: string) {
  return {
    required(name: string): string {
      const value = env[name];
      if (!value) throw new Error(`${handler} Lambda: environment variable ${name} must be set`);
      return value;
    },
    milliseconds(name: string, fallback: number): number {
      const raw = env[name];
      if (!raw) return fallback;
      const ms = Number(raw);
      if (!Number.isSafeInteger(ms) || ms < 0) throw new Error(`${handler} Lambda: ${name} must be a whole number of milliseconds >= 0, got '${raw}'`);
      return ms;
    },
    json<T>(name: string): T {
      const raw = this.required(name);
      try {
        return JSON.parse(raw) as T;
      } catch {
        throw new Error(`${handler} Lambda: ${name} must be JSON, got '${raw.slice(0, 100)}'`);
      }
    },
  };
}
