import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** IoT registry resource types that support resource-level permissions. */
export type IotRegistryResource = 'thing' | 'thinggroup' | 'thingtype';

/** `arn:<partition>:iot:<region>:<account>:<type>/*`: every registry resource of one type in this region. */
export function iotResourceArn(scope: IConstruct, type: IotRegistryResource): string {
  return Stack.of(scope).formatArn({ service: 'iot', resource: type, resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
}
