import { CfnOutput, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { CommandAccessRole } from './command-access-role';
import {
  COMMAND_ENV,
  COMMAND_PATHS,
  COMMAND_STAGE,
  commandFunctionRoleName,
  DEFAULT_IDEMPOTENCY_TTL_SECONDS,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_TOMBSTONE_TTL_SECONDS,
  HANDLER_ENV,
  IDEMPOTENCY_ATTR,
  IDEMPOTENCY_HEADER,
  iamRoleArn,
  POLICY_NAME_PATTERN,
  THING_GROUP_NAME_PATTERN,
  THING_NAME_PATTERN,
  THING_TYPE_NAME_PATTERN,
} from '../../lambda/contract';
import { DEFAULT_ECHO_LEDGER_TABLE_NAME, DEFAULT_JOURNAL_TABLE_NAME } from '../journal/defaults';
import { acknowledgeFinding } from '../private/acknowledge';
import { DEFAULT_LOG_RETENTION, HandlerFunction } from '../private/handler-function';
import { allowLogsToUseKey } from '../private/service-policies';
import { checkDuration, checkMetricsNamespace, checkRegion, checkTableName, propError } from '../private/validate';
import { checkThrottling } from '../shared-services/health-rest-api';

export interface CommandApiProps {
  /** The iot-services account: IoT, the journal and the echo ledger, reached through its `CommandAccessRole`s. */
  readonly iotServicesAccount: string;
  /**
   * The other region of the pair: a device's status is read there too (through that region's
   * `CommandAccessRole`, which must list this region in `commandRegions`).
   * @default - status reports this region only
   */
  readonly peerRegion?: string;
  /**
   * The API's custom domain, `api.<domain>`: the failover records point at `regionalDomainName`.
   * @default - no custom domain: callers use the execute-api URL (`url`)
   */
  readonly domainName?: string;
  /**
   * An existing ACM certificate (this account and region) covering `domainName`.
   * @default - a new certificate validated by DNS (see `validationZone`)
   */
  readonly certificate?: acm.ICertificate;
  /**
   * The hosted zone ACM's validation record goes into, when it is in this account. The zone normally lives in
   * the shared-services account: leave this unset and create the CNAME ACM shows there (as for `IotCustomDomain`).
   * @default - the validation record is created by hand in the zone's account
   */
  readonly validationZone?: route53.IHostedZone;
  /**
   * Authenticate callers with JWTs of this Cognito user pool (a `CognitoUserPoolsAuthorizer`) instead of IAM.
   * @default - IAM (SigV4) on every method: callers need `execute-api:Invoke` on it
   */
  readonly userPool?: cognito.IUserPool;
  /**
   * OAuth scopes an access token must carry, with `userPool`.
   * @default - none: any valid ID token of the pool
   */
  readonly authorizationScopes?: string[];
  /**
   * Name of the journal table in the iot-services account.
   * @default DEFAULT_JOURNAL_TABLE_NAME ('iot-dr-journal') - the name the platform stacks give it
   */
  readonly journalTableName?: string;
  /**
   * Name of the echo ledger table in the iot-services account.
   * @default DEFAULT_ECHO_LEDGER_TABLE_NAME ('iot-dr-echo-ledger') - the name the platform stacks give it
   */
  readonly echoLedgerTableName?: string;
  /**
   * CloudWatch namespace of the replication metrics status reads (the replay's and reconciler's).
   * @default DEFAULT_METRICS_NAMESPACE ('IotDr')
   */
  readonly metricsNamespace?: string;
  /**
   * How long a journaled delete's tombstone stays, like capture's.
   * @default Duration.days(14) - the journal's default tombstone lifetime
   */
  readonly tombstoneTtl?: Duration;
  /**
   * How long an Idempotency-Key's answer is kept for retries.
   * @default Duration.hours(24) - a client retrying later sends a new key
   */
  readonly idempotencyTtl?: Duration;
  /**
   * Customer managed key of the idempotency table.
   * @default - the AWS managed key `aws/dynamodb`, which needs no key policy
   */
  readonly idempotencyTableEncryptionKey?: kms.IKey;
  /**
   * What happens to the idempotency table when it leaves the stack.
   * @default RemovalPolicy.DESTROY - its records live a day (TTL); nothing in it outlasts a deployment
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Steady-state requests per second of the stage.
   * @default 50 - far above what fleet operations need, far below IoT's CreateThing quota
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of the stage.
   * @default 100
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Where the alarms (5XX rate, function errors, throttles) notify.
   * @default - no action; add some later with `addAlarmAction`
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /**
   * Retention of the function's log group and the access logs.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer managed key of the log groups.
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

/** The function's timeout: the commands are a handful of IoT calls and journal writes, under API Gateway's 29 s. */
const FUNCTION_TIMEOUT = Duration.seconds(25);
/** An in-flight request holds its key longer than the function can run, so no retry overlaps it. */
const IN_FLIGHT_LEASE = Duration.seconds(60);

/**
 * The command-and-control API of one region (command-control account): a regional REST API, IAM auth (or a
 * Cognito JWT authorizer), request validation, stage `v1` with access logs, throttling and X-Ray, and a
 * custom domain (`api.<domain>`) for the failover records.
 *
 * | route | command |
 * | --- | --- |
 * | `POST /devices` | onboard: thing, certificate (from a CSR, or a new key pair returned once), policy, optional group |
 * | `POST /devices/{thingName}/suspend` | every certificate of the thing INACTIVE |
 * | `POST /devices/{thingName}/resume` | every certificate of the thing ACTIVE |
 * | `DELETE /devices/{thingName}` | decommission: detach, revoke, delete certificates; delete the thing |
 * | `GET /devices/{thingName}` | status in both regions: registry views, `replicated`, replication lag and drift |
 *
 * Mutating calls need an `Idempotency-Key` header; answers are JSON, errors `{ error: { code, message } }`.
 * The function assumes the `CommandAccessRole` of this region and of `peerRegion` in the iot-services account
 * and journals every change synchronously; its role has a fixed name (`CommandApi.functionRoleNameFor`), which
 * the access roles' trust names.
 */
export class CommandApi extends Construct {
  /** `cdk-iot-dr-command-api-<region>`: the function role's name, which `CommandAccessRole` trusts. */
  static functionRoleNameFor(region: string): string {
    return commandFunctionRoleName(region);
  }

  /** `arn:<partition>:iam::<account>:role/cdk-iot-dr-command-api-<region>`. */
  static functionRoleArnFor(account: string, region: string, partition: string = 'aws'): string {
    return iamRoleArn(account, commandFunctionRoleName(region), partition);
  }

  /** The REST API. */
  readonly api: apigateway.RestApi;
  /** The command function. */
  readonly function: lambda.Function;
  /** The function's role (fixed name `cdk-iot-dr-command-api-<region>`). */
  readonly functionRole: iam.Role;
  /** Idempotency records: request fingerprints and answers (never a private key). */
  readonly idempotencyTable: dynamodb.TableV2;
  /** Access logs of the API. */
  readonly accessLogs: logs.LogGroup;
  /** `https://<id>.execute-api.<region>.amazonaws.com/v1/`. */
  readonly url: string;
  /** The custom domain, when `domainName` is given. */
  readonly domain?: apigateway.DomainName;
  /** The custom domain's certificate, when `domainName` is given. */
  readonly certificate?: acm.ICertificate;
  /** The regional domain name API Gateway gives the custom domain (`d-xxxx.execute-api.<region>.amazonaws.com`): the failover records' target. */
  readonly regionalDomainName?: string;
  /** Route 53 hosted zone id of `regionalDomainName`, for alias records. */
  readonly regionalHostedZoneId?: string;
  /** The access role ARNs the function may assume: this region's first, then the peer's. */
  readonly accessRoleArns: string[];
  /** 5XX answers above 5 % of requests over 5 minutes. */
  readonly serverErrorAlarm: cloudwatch.Alarm;
  /** The function failed (not a refused command: the function itself). */
  readonly functionErrorAlarm: cloudwatch.Alarm;
  /** The function was throttled (reserved or account concurrency). */
  readonly functionThrottleAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CommandApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.validate(props);
    const region = stack.region;
    const rate = props.throttlingRateLimit ?? 50;
    const burst = props.throttlingBurstLimit ?? 100;
    checkThrottling(this, rate, burst);
    const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    checkMetricsNamespace(this, 'metricsNamespace', metricsNamespace);
    const journalTableName = props.journalTableName ?? DEFAULT_JOURNAL_TABLE_NAME;
    const echoLedgerTableName = props.echoLedgerTableName ?? DEFAULT_ECHO_LEDGER_TABLE_NAME;
    checkTableName(this, 'journalTableName', journalTableName);
    checkTableName(this, 'echoLedgerTableName', echoLedgerTableName);
    const tombstoneTtl = props.tombstoneTtl ?? Duration.seconds(DEFAULT_TOMBSTONE_TTL_SECONDS);
    checkDuration(this, 'tombstoneTtl', tombstoneTtl, Duration.days(1), Duration.days(365));
    const idempotencyTtl = props.idempotencyTtl ?? Duration.seconds(DEFAULT_IDEMPOTENCY_TTL_SECONDS);
    checkDuration(this, 'idempotencyTtl', idempotencyTtl, Duration.hours(1), Duration.days(7));

    const ownAccessRole = CommandAccessRole.roleArnFor(props.iotServicesAccount, region, stack.partition);
    const peerAccessRole = props.peerRegion ? CommandAccessRole.roleArnFor(props.iotServicesAccount, props.peerRegion, stack.partition) : undefined;
    this.accessRoleArns = [ownAccessRole, ...(peerAccessRole ? [peerAccessRole] : [])];

    this.idempotencyTable = new dynamodb.TableV2(this, 'IdempotencyTable', {
      partitionKey: { name: IDEMPOTENCY_ATTR.partitionKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      timeToLiveAttribute: IDEMPOTENCY_ATTR.ttl,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: props.idempotencyTableEncryptionKey
        ? dynamodb.TableEncryptionV2.customerManagedKey(props.idempotencyTableEncryptionKey)
        : dynamodb.TableEncryptionV2.awsManagedKey(),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
    });

    const handler = new HandlerFunction(this, 'Handler', {
      handler: 'commandApi',
      description: 'Device commands (onboard, suspend, resume, decommission, status) with synchronous journaling (cdk-iot-dr)',
      timeout: FUNCTION_TIMEOUT,
      memorySize: 512,
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      // The fixed name the access roles' trust condition names.
      roleName: CommandApi.functionRoleNameFor(region),
      environment: {
        [COMMAND_ENV.iotServicesAccount]: props.iotServicesAccount,
        [COMMAND_ENV.accessRoleArn]: ownAccessRole,
        ...(props.peerRegion && peerAccessRole ? { [COMMAND_ENV.peerRegion]: props.peerRegion, [COMMAND_ENV.peerAccessRoleArn]: peerAccessRole } : {}),
        [COMMAND_ENV.idempotencyTableName]: this.idempotencyTable.tableName,
        [COMMAND_ENV.idempotencyTtlSeconds]: String(idempotencyTtl.toSeconds()),
        [COMMAND_ENV.inFlightLeaseSeconds]: String(IN_FLIGHT_LEASE.toSeconds()),
        [HANDLER_ENV.journalTableName]: journalTableName,
        [HANDLER_ENV.echoLedgerTableName]: echoLedgerTableName,
        [HANDLER_ENV.metricsNamespace]: metricsNamespace,
        [HANDLER_ENV.tombstoneTtlSeconds]: String(tombstoneTtl.toSeconds()),
      },
    });
    this.function = handler.function;
    this.functionRole = handler.role;
    this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'AssumeCommandAccessRoles', actions: ['sts:AssumeRole'], resources: this.accessRoleArns }));
    this.functionRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'Idempotency', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [this.idempotencyTable.tableArn] }),
    );
    props.idempotencyTableEncryptionKey?.grantEncryptDecrypt(this.functionRole);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
      encryptionKey: props.logEncryptionKey,
    });
    if (props.logEncryptionKey) allowLogsToUseKey(this, props.logEncryptionKey);
    this.api = new apigateway.RestApi(this, 'Api', {
      description: `cdk-iot-dr: device commands in ${region} (onboard, suspend, resume, decommission, status)`,
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // The account-wide API Gateway logging role is the account owner's to set, not a library's.
      cloudWatchRole: false,
      deployOptions: {
        stageName: COMMAND_STAGE,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
        tracingEnabled: true,
      },
    });
    this.url = this.api.url;
    this.addRoutes(props);
    this.addErrorResponses();

    if (props.domainName) {
      this.certificate =
        props.certificate ??
        new acm.Certificate(this, 'Certificate', { domainName: props.domainName, validation: acm.CertificateValidation.fromDns(props.validationZone) });
      this.domain = new apigateway.DomainName(this, 'Domain', {
        domainName: props.domainName,
        certificate: this.certificate,
        endpointType: apigateway.EndpointType.REGIONAL,
        securityPolicy: apigateway.SecurityPolicy.TLS_1_2,
        mapping: this.api,
      });
      this.regionalDomainName = this.domain.domainNameAliasDomainName;
      this.regionalHostedZoneId = this.domain.domainNameAliasHostedZoneId;
      new CfnOutput(this, 'RegionalDomainName', {
        value: this.regionalDomainName,
        description: `Target of the ${props.domainName} failover record for ${region}`,
      });
    }
    new CfnOutput(this, 'Url', { value: this.url, description: 'The command API (execute-api URL)' });

    const alarms = this.createAlarms();
    this.serverErrorAlarm = alarms[0];
    this.functionErrorAlarm = alarms[1];
    this.functionThrottleAlarm = alarms[2];
    if (props.alarmActions) this.addAlarmAction(...props.alarmActions);

    acknowledgeFinding(
      this.api.deploymentStage,
      'AwsSolutions-APIG6',
      "Access logs are on (a log group of its own); execution logging needs the account-wide API Gateway CloudWatch role, which is the account owner's setting.",
    );
    acknowledgeFinding(
      this.api.deploymentStage,
      'AwsSolutions-APIG3',
      'No WAF by default: every method is authenticated (IAM or Cognito) and the stage is throttled; associate a web ACL with `api.deploymentStage.stageArn` to add one.',
    );
  }

  /** Sends the alarms (5XX rate, function errors, throttles) to `actions`. */
  addAlarmAction(...actions: cloudwatch.IAlarmAction[]): void {
    for (const alarm of [this.serverErrorAlarm, this.functionErrorAlarm, this.functionThrottleAlarm]) alarm.addAlarmAction(...actions);
  }

  private validate(props: CommandApiProps): void {
    const stack = Stack.of(this);
    if (Token.isUnresolved(stack.region)) throw propError(this, 'CommandApi needs a stack with an explicit env.region (its role name includes the region)');
    if (!Token.isUnresolved(props.iotServicesAccount) && !/^\d{12}$/.test(props.iotServicesAccount)) {
      throw propError(this, `iotServicesAccount must be a 12-digit account id, got '${props.iotServicesAccount}'`);
    }
    if (props.peerRegion !== undefined) {
      checkRegion(this, 'peerRegion', props.peerRegion, 'us-east-1');
      if (props.peerRegion === stack.region) throw propError(this, `peerRegion must be the other region of the pair, not this stack's region '${stack.region}'`);
    }
    if (props.domainName !== undefined && !Token.isUnresolved(props.domainName) && (!/^[a-z0-9.-]+$/i.test(props.domainName) || !props.domainName.includes('.'))) {
      throw propError(this, `domainName must be a fully qualified host name such as 'api.example.com', got '${props.domainName}'`);
    }
    if (props.certificate && props.validationZone) {
      throw propError(this, 'give certificate or validationZone, not both: validationZone only validates a certificate this construct creates');
    }
    if ((props.certificate || props.validationZone) && props.domainName === undefined) {
      throw propError(this, 'certificate and validationZone need domainName (the custom domain they are for)');
    }
    if (props.authorizationScopes && !props.userPool) throw propError(this, 'authorizationScopes need userPool (they are checked by the Cognito authorizer)');
  }

  private addRoutes(props: CommandApiProps): void {
    const validator = this.api.addRequestValidator('Validator', { validateRequestBody: true, validateRequestParameters: true });
    const integration = new apigateway.LambdaIntegration(this.function, { proxy: true, allowTestInvoke: false, timeout: Duration.seconds(29) });
    const authorizer = props.userPool
      ? new apigateway.CognitoUserPoolsAuthorizer(this, 'Authorizer', { cognitoUserPools: [props.userPool] })
      : undefined;
    const auth: Partial<apigateway.MethodOptions> = authorizer
      ? { authorizationType: apigateway.AuthorizationType.COGNITO, authorizer, ...(props.authorizationScopes ? { authorizationScopes: props.authorizationScopes } : {}) }
      : { authorizationType: apigateway.AuthorizationType.IAM };
    const idempotencyHeader = `method.request.header.${IDEMPOTENCY_HEADER}`;
    const thingParam = `method.request.path.${COMMAND_PATHS.thingName}`;
    const onboardModel = this.api.addModel('OnboardRequest', {
      contentType: 'application/json',
      modelName: 'OnboardRequest',
      schema: {
        schema: apigateway.JsonSchemaVersion.DRAFT4,
        title: 'OnboardRequest',
        type: apigateway.JsonSchemaType.OBJECT,
        required: ['thingName', 'policyName'],
        additionalProperties: false,
        properties: {
          thingName: { type: apigateway.JsonSchemaType.STRING, pattern: THING_NAME_PATTERN },
          policyName: { type: apigateway.JsonSchemaType.STRING, pattern: POLICY_NAME_PATTERN },
          thingGroupName: { type: apigateway.JsonSchemaType.STRING, pattern: THING_GROUP_NAME_PATTERN },
          thingTypeName: { type: apigateway.JsonSchemaType.STRING, pattern: THING_TYPE_NAME_PATTERN },
          attributes: { type: apigateway.JsonSchemaType.OBJECT, maxProperties: 50, additionalProperties: { type: apigateway.JsonSchemaType.STRING, maxLength: 800 } },
          csr: { type: apigateway.JsonSchemaType.STRING, maxLength: 16384, pattern: '^-----BEGIN (NEW )?CERTIFICATE REQUEST-----' },
        },
      },
    });
    const devices = this.api.root.addResource(COMMAND_PATHS.devices);
    const device = devices.addResource(`{${COMMAND_PATHS.thingName}}`);
    const mutating = (extra: Record<string, boolean>): apigateway.MethodOptions => ({
      ...auth,
      requestValidator: validator,
      requestParameters: { [idempotencyHeader]: true, ...extra },
    });
    const methods = [
      devices.addMethod('POST', integration, { ...mutating({}), requestModels: { 'application/json': onboardModel } }),
      device.addMethod('GET', integration, { ...auth, requestValidator: validator, requestParameters: { [thingParam]: true } }),
      device.addMethod('DELETE', integration, mutating({ [thingParam]: true })),
      device.addResource(COMMAND_PATHS.suspend).addMethod('POST', integration, mutating({ [thingParam]: true })),
      device.addResource(COMMAND_PATHS.resume).addMethod('POST', integration, mutating({ [thingParam]: true })),
    ];
    if (!authorizer) {
      for (const method of methods) {
        acknowledgeFinding(method, 'AwsSolutions-COG4', 'The callers are IAM principals (operators, pipelines): every method uses IAM auth (SigV4); pass userPool for Cognito.');
      }
    }
  }

  /** API Gateway's own refusals (auth, validation, throttling) in the handler's error shape. */
  private addErrorResponses(): void {
    const template = '{"error":{"code":"$context.error.responseType","message":$context.error.messageString,"requestId":"$context.requestId"}}';
    this.api.addGatewayResponse('Default4xx', { type: apigateway.ResponseType.DEFAULT_4XX, templates: { 'application/json': template } });
    this.api.addGatewayResponse('Default5xx', { type: apigateway.ResponseType.DEFAULT_5XX, templates: { 'application/json': template } });
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      templates: { 'application/json': '{"error":{"code":"BadRequest","message":"$context.error.validationErrorString","requestId":"$context.requestId"}}' },
    });
    this.api.addGatewayResponse('BadRequestParameters', {
      type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
      templates: { 'application/json': `{"error":{"code":"BadRequest","message":"$context.error.validationErrorString (mutating calls need the ${IDEMPOTENCY_HEADER} header)","requestId":"$context.requestId"}}` },
    });
  }

  private createAlarms(): [cloudwatch.Alarm, cloudwatch.Alarm, cloudwatch.Alarm] {
    const period = Duration.minutes(5);
    const serverErrors = this.api.metricServerError({ statistic: 'Average', period }).createAlarm(this, 'ServerErrorAlarm', {
      alarmDescription: 'cdk-iot-dr: over 5 % of command API requests answered 5XX in 5 minutes (journal or IoT unavailable, or the function failing). Read the function log group.',
      threshold: 0.05,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const errors = this.function.metricErrors({ period }).createAlarm(this, 'FunctionErrorAlarm', {
      alarmDescription: 'cdk-iot-dr: the command function failed (crashed or timed out, not a refused command). Read its log group.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const throttles = this.function.metricThrottles({ period }).createAlarm(this, 'FunctionThrottleAlarm', {
      alarmDescription: 'cdk-iot-dr: the command function was throttled (Lambda concurrency); callers got 5XX answers.',
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return [serverErrors, errors, throttles];
  }
}
