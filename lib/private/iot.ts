import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * IoT resource types that support resource-level permissions: the registry's, and the device identities'
 * (`cert` and `cacert` certificates, `policy`, `rolealias`, `provisioningtemplate`).
 */
export type IotRegistryResource = 'thing' | 'thinggroup' | 'thingtype' | 'cert' | 'cacert' | 'policy' | 'rolealias' | 'provisioningtemplate';

/** `arn:<partition>:iot:<region>:<account>:<type>/*`: every registry resource of one type in this region. */
export function iotResourceArn(scope: IConstruct, type: IotRegistryResource): string {
  return Stack.of(scope).formatArn({ service: 'iot', resource: type, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}
