export { RegistryCapture } from './registry-capture';
export { ManagementEventsTrail, type RegistryCaptureOptions, type RegistryCaptureProps } from './registry-capture-props';
