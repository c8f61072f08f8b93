/**
 * CloudTrail management events of AWS IoT as EventBridge delivers them (and the capture rule sends them to
 * SQS): the envelope, `detail.userIdentity` of an assumed-role session, request parameters and response
 * elements as CloudTrail records them.
 */
export const ACCOUNT = '123456789012';
export const CERT_ID = 'a'.repeat(64);
export const OTHER_CERT_ID = 'b'.repeat(64);
export const PEM = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUSECRET\n-----END CERTIFICATE-----\n';

export interface CloudTrailOptions {
  readonly role?: string;
  /** The role's path, e.g. 'service-role/' (only in the session issuer's ARN, as in CloudTrail). */
  readonly rolePath?: string;
  readonly eventTime?: string;
  readonly eventId?: string;
  readonly region?: string;
  readonly errorCode?: string;
  readonly responseElements?: Record<string, unknown> | null;
}

export function cloudTrailEvent(eventName: string, requestParameters: Record<string, unknown> | null, options: CloudTrailOptions = {}): Record<string, unknown> {
  const role = options.role ?? 'operator';
  const region = options.region ?? 'us-east-1';
  const time = options.eventTime ?? '2023-11-14T22:13:20Z';
  return {
    version: '0',
    id: 'c1a2b3c4-0000-4000-8000-000000000000',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iot',
    account: ACCOUNT,
    time,
    region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROAEXAMPLE:${role}-session`,
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${role}-session`,
        accountId: ACCOUNT,
        accessKeyId: 'ASIAEXAMPLE',
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:role/${options.rolePath ?? ''}${role}`, accountId: ACCOUNT, userName: role },
          attributes: { creationDate: time, mfaAuthenticated: 'false' },
        },
      },
      eventTime: time,
      eventSource: 'iot.amazonaws.com',
      eventName,
      awsRegion: region,
      sourceIPAddress: '203.0.113.7',
      userAgent: 'aws-sdk-js/3',
      ...(options.errorCode ? { errorCode: options.errorCode, errorMessage: 'refused' } : {}),
      requestParameters,
      responseElements: options.responseElements ?? null,
      requestID: 'req-1',
      eventID: options.eventId ?? 'e0000000-0000-4000-8000-000000000001',
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: ACCOUNT,
      eventCategory: 'Management',
    },
  };
}

export const certArn = (id: string, region = 'us-east-1'): string => `arn:aws:iot:${region}:${ACCOUNT}:cert/${id}`;
