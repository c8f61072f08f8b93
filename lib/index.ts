// The public API: constructs, their props and the types they take. Internal modules (handler assets,
// state names, retry policies, validation) are imported by path, never from here.
export {
  DrRegionRole,
  DrTopology,
  type DrAccounts,
  type DrTopologyProps,
  type DrFailoverSettings,
  type DrHealthApiUrls,
  type DrWorkloadHealthApiUrls,
  type DrIotCertificateArns,
  type DrApiDomainNames,
  type DrAnalyticsSettings,
} from './topology';
export {
  IotDrDeployment,
  type IotDrDeploymentProps,
  type SharedServicesStacks,
  type IotServicesStacks,
  type CommandControlStacks,
  type DataAnalyticsStacks,
  type RegionSwitchStepsPair,
} from './deployment';
export * from './stacks';
export * from './journal';
export * from './capture';
export * from './replay';
export * from './reconcile';
export * from './shared-services';
export * from './command-control';
export * from './data-analytics';
export { IotRegistryReplication, type IotRegistryReplicationProps, type PairedJournalProps } from './registry-replication';
export type { PipelineStageOptions } from './pipeline-stage-options';
