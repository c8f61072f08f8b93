import { createHash, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { RawOutput, type CallerIdentity, type OperationInput, type OperationOutput, type Route } from './router';

/** A CloudTrail management event as EventBridge delivers it (detail-type 'AWS API Call via CloudTrail'). */
export interface CloudTrailEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'AWS API Call via CloudTrail';
  readonly source: 'aws.iot';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: CloudTrailDetail;
}

export interface CloudTrailDetail {
  readonly eventVersion: '1.09';
  readonly userIdentity: {
    readonly type: 'AssumedRole';
    readonly principalId: string;
    readonly arn: string;
    readonly accountId: string;
    readonly accessKeyId?: string;
    readonly sessionContext: {
      readonly sessionIssuer: {
        readonly type: 'Role';
        readonly principalId: string;
        readonly arn: string;
        readonly accountId: string;
        readonly userName: string;
      };
    };
  };
  readonly eventTime: string;
  readonly eventSource: 'iot.amazonaws.com';
  readonly eventName: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  readonly requestParameters: Record<string, unknown> | null;
  readonly responseElements: Record<string, unknown> | null;
  readonly requestID: string;
  readonly eventID: string;
  readonly readOnly: false;
  readonly eventType: 'AwsApiCall';
  readonly managementEvent: true;
  readonly recipientAccountId: string;
  readonly eventCategory: 'Management';
}

/** Role attributed to unsigned calls. */
export const DEFAULT_CALLER_ROLE = 'emulator-user';
/** Session name in the assumed-role ARN of every caller. */
export const CALLER_SESSION_NAME = 'emulator-session';

/**
 * Caller identity convention: the role name is the SigV4 access key id of the request
 * (`Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/...`), or `emulator-user` when unsigned.
 */
export function callerFromRequest(headers: IncomingHttpHeaders, sourceIp: string | undefined): CallerIdentity {
  const authorization = headers.authorization ?? '';
  const match = /Credential=([^/,\s]+)\//.exec(authorization);
  const accessKeyId = match?.[1];
  const userAgent = headers['user-agent'];
  return {
    accessKeyId,
    roleName: accessKeyId ?? DEFAULT_CALLER_ROLE,
    userAgent: typeof userAgent === 'string' ? userAgent : undefined,
    sourceIp: sourceIp?.replace(/^::ffff:/, '') ?? '127.0.0.1',
  };
}

type Listener = (event: CloudTrailEvent) => void;

/**
 * Records successful calls of audited routes. Delivery is asynchronous (setImmediate) like registry
 * events, and best effort like CloudTrail itself: `dropNext(n)` loses the next n events.
 */
export class CloudTrailRecorder {
  private readonly listeners = new Set<Listener>();
  private generation = 0;
  private toDrop = 0;
  private droppedCount = 0;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
    private readonly now: () => number,
  ) {}

  onCloudTrail(listener: Listener): () => void {
    const subscription: Listener = (event) => listener(event);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  dropNext(count: number): void {
    this.toDrop += count;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  record(route: Route, input: OperationInput, output: OperationOutput, requestId: string): void {
    const audit = route.audit;
    if (audit === undefined) return;
    const event = this.build(route, input, output, requestId);
    if (this.toDrop > 0) {
      this.toDrop -= 1;
      this.droppedCount += 1;
      return;
    }
    const generation = this.generation;
    for (const listener of [...this.listeners]) {
      setImmediate(() => {
        if (generation === this.generation && this.listeners.has(listener)) listener(structuredClone(event));
      });
    }
  }

  reset(): void {
    this.generation += 1;
    this.toDrop = 0;
    this.droppedCount = 0;
  }

  stop(): void {
    this.generation += 1;
    this.listeners.clear();
  }

  private build(route: Route, input: OperationInput, output: OperationOutput, requestId: string): CloudTrailEvent {
    const caller = input.caller;
    const at = new Date(this.now());
    // CloudTrail eventTime has second precision.
    const time = at.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const roleId = `AROA${fakeId(caller.roleName)}`;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.iot',
      account: this.accountId,
      time,
      region: this.region,
      resources: [],
      detail: {
        eventVersion: '1.09',
        userIdentity: {
          type: 'AssumedRole',
          principalId: `${roleId}:${CALLER_SESSION_NAME}`,
          arn: `arn:aws:sts::${this.accountId}:assumed-role/${caller.roleName}/${CALLER_SESSION_NAME}`,
          accountId: this.accountId,
          ...(caller.accessKeyId !== undefined ? { accessKeyId: caller.accessKeyId } : {}),
          sessionContext: {
            sessionIssuer: {
              type: 'Role',
              principalId: roleId,
              arn: `arn:aws:iam::${this.accountId}:role/${caller.roleName}`,
              accountId: this.accountId,
              userName: caller.roleName,
            },
          },
        },
        eventTime: time,
        eventSource: 'iot.amazonaws.com',
        eventName: route.operation,
        awsRegion: this.region,
        sourceIPAddress: caller.sourceIp,
        userAgent: caller.userAgent ?? 'unknown',
        requestParameters: requestParameters(route, input),
        responseElements: responseElements(route, output),
        requestID: requestId,
        eventID: randomUUID(),
        readOnly: false,
        eventType: 'AwsApiCall',
        managementEvent: true,
        recipientAccountId: this.accountId,
        eventCategory: 'Management',
      },
    };
  }
}

function requestParameters(route: Route, input: OperationInput): Record<string, unknown> | null {
  const parameters: Record<string, unknown> = { ...input.labels };
  for (const [key, value] of input.query) {
    parameters[key] = value === 'true' ? true : value === 'false' ? false : value;
  }
  for (const [header, name] of Object.entries(route.audit?.headers ?? {})) {
    const value = input.headers[header];
    if (value !== undefined) parameters[name] = value;
  }
  Object.assign(parameters, structuredClone(input.body));
  return Object.keys(parameters).length > 0 ? parameters : null;
}

function responseElements(route: Route, output: OperationOutput): Record<string, unknown> | null {
  if (output === undefined || output instanceof RawOutput) return null;
  const elements: Record<string, unknown> = {};
  for (const key of route.audit?.response ?? []) {
    if (output[key] !== undefined) elements[key] = output[key];
  }
  return Object.keys(elements).length > 0 ? elements : null;
}

/** A stable 17-character upper-case id derived from a name (IAM unique ids look like AROA + 17 chars). */
function fakeId(name: string): string {
  return createHash('sha256').update(name).digest('base64').replace(/[^A-Za-z0-9]/g, '').toUpperCase().slice(0, 17);
}
