export * from './topology';
export * from './deployment';
export * from './stacks';
export * from './iot-services';
export { handlerAssetPath, type HandlerName } from './lambda-assets';
