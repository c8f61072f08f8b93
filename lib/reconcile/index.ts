export { RegistryReconciler, type RegistryReconcilerOptions, type RegistryReconcilerProps } from './registry-reconciler';
