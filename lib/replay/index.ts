export { RegistryReplay } from './registry-replay';
export type { RegistryReplayOptions, RegistryReplayProps } from './registry-replay-props';
