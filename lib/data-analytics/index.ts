export * from './analytics-event-bus';
export * from './analytics-event-bus-props';
export * from './telemetry-forwarder';
export * from './telemetry-forwarder-props';
