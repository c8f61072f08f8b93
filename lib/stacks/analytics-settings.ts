/**
 * How telemetry reaches the data-analytics account, for `IotDrDeployment` (both regions alike).
 */
export interface AnalyticsOptions {
  /**
   * The MQTT topic filter whose messages the iot-services stacks forward to the analytics bus (each region's
   * `TelemetryForwarder`).
   *
   * @default 'dt/#' - the data-telemetry prefix of AWS's MQTT topic design guidance
   */
  readonly telemetryTopicFilter?: string;

  /**
   * Whether the iot-services stacks forward telemetry at all.
   *
   * @default true
   */
  readonly forwardTelemetry?: boolean;

  /**
   * Whether the data-analytics stacks create the example targets (a Kinesis data stream and an Express state
   * machine).
   *
   * @default true - the reference architecture shows one of each
   */
  readonly exampleTargets?: boolean;
}

/** The topic filter forwarded when none is given: AWS's data-telemetry prefix. */
export const DEFAULT_TELEMETRY_TOPIC_FILTER = 'dt/#';
