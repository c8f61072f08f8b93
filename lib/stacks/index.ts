export { type AnalyticsOptions, DEFAULT_TELEMETRY_TOPIC_FILTER } from './analytics-settings';
export type { DrStackProps } from './dr-stack-props';
export { CommandControlStack, type CommandControlStackProps } from './command-control-stack';
export { DataAnalyticsStack, type DataAnalyticsStackProps } from './data-analytics-stack';
export { IotServicesStack, type IotServicesStackProps } from './iot-services-stack';
export type { PerRegionReplicationSettings, RegionalReplicationSettings, RegistryReplicationOptions } from './replication-settings';
export { GlobalFailoverStack, type GlobalFailoverStackProps, SharedServicesStack } from './shared-services-stack';
