export * from './dr-stack-props';
export * from './command-control-stack';
export * from './data-analytics-stack';
export * from './iot-services-stack';
export * from './shared-services-stack';
