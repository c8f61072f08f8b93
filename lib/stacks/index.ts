export type { DrStackProps } from './dr-stack-props';
export { CommandControlStack } from './command-control-stack';
export { DataAnalyticsStack } from './data-analytics-stack';
export { IotServicesStack, type IotServicesStackProps } from './iot-services-stack';
export type { PerRegionReplicationSettings, RegionalReplicationSettings, RegistryReplicationOptions } from './replication-settings';
export { GlobalFailoverStack, type GlobalFailoverStackProps, SharedServicesStack } from './shared-services-stack';
