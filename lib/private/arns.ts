import { Arn, ArnFormat, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { propError } from './validate';

/**
 * Throws unless `arn` (when not a token) is an ARN of `service` in `region`: a KMS key or an SNS topic
 * serves its own region only, so one of another region fails at deploy time at the latest.
 */
export function checkRegionalArn(scope: IConstruct, prop: string, arn: string, service: string, region: string, where: string): void {
  if (Token.isUnresolved(arn) || Token.isUnresolved(region)) return;
  let parts;
  try {
    parts = Arn.split(arn, ArnFormat.NO_RESOURCE_NAME);
  } catch {
    throw propError(scope, `${prop} must be an ARN such as 'arn:aws:${service}:${region}:123456789012:...', got '${arn}'`);
  }
  if (parts.service !== service) {
    throw propError(scope, `${prop} must be an ARN of ${service}, got one of '${parts.service}': '${arn}'`);
  }
  if (parts.region !== region) {
    throw propError(scope, `${prop} names a resource in '${parts.region}', but ${where} is '${region}': use one of that region`);
  }
}
