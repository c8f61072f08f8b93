export { RegistryCapture } from './registry-capture';
export type { RegistryCaptureOptions, RegistryCaptureProps } from './registry-capture-props';
