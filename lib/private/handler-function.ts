import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFinding } from './acknowledge';
import { handlerEntry } from './lambda-assets';
import { FUNCTION_TRACING_ACTIONS, allowLogsToUseKey, wildcardOnlyPolicy } from './service-policies';
import type { HandlerId } from '../../lambda/contract';

/** Log retention the library uses unless told otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

export interface HandlerFunctionProps {
  /** Which of the library's entry points (`HANDLERS` in lambda/contract) the function runs. */
  readonly handler: HandlerId;
  readonly description: string;
  readonly environment: Record<string, string>;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly logRetention?: logs.RetentionDays;
  /** Customer managed key of the function's log group (the key policy lets CloudWatch Logs use it). */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * One of the library's pre-bundled handlers with the settings every one of them shares: Node.js 22 on
 * Graviton, X-Ray tracing, its own log group with a retention, and its own role holding no managed policy
 * (log writes are granted on that one log group; callers add exactly what the handler calls). X-Ray's
 * actions, which take no resource, sit in a `TracingPolicy` of their own, the only place `Resource: *` is
 * acknowledged.
 */
export class HandlerFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: props.logEncryptionKey,
    });
    if (props.logEncryptionKey) allowLogsToUseKey(this, props.logEncryptionKey);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${kebab(props.handler)} handler: ${props.description}`,
    });
    this.logGroup.grantWrite(this.role);
    const entry = handlerEntry(props.handler);
    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: entry.handler,
      code: entry.code,
      role: this.role,
      logGroup: this.logGroup,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      environment: props.environment,
    });
    // Active tracing set on the L1, so the L2 does not add X-Ray's wildcard statement to the role's default policy.
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    const tracing = wildcardOnlyPolicy(
      this,
      'TracingPolicy',
      this.role,
      FUNCTION_TRACING_ACTIONS,
      'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
    );
    this.function.node.addDependency(tracing);
    acknowledgeFinding(
      this.function,
      'AwsSolutions-L1',
      'Pinned to Node.js 22, the target the handlers are bundled for (scripts/bundle-handlers.mjs), so a CDK upgrade ' +
        'never changes the runtime under tested code; Lambda supports Node.js 22 until 2027.',
    );
  }
}

/** `replayThingType` → `replay-thing-type`: the handler's name as role descriptions have always shown it. */
function kebab(id: string): string {
  return id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
