/**
 * Names the analytics event bus (data-analytics account) and the telemetry forwarder (iot-services account)
 * agree on. They live in different accounts, so each side computes the other's names and ARNs from these
 * instead of referencing the other's stack.
 */

/** The custom event bus of the data-analytics account, the same name in both regions. */
export const ANALYTICS_EVENT_BUS_NAME = 'cdk-iot-dr-telemetry';

/** `source` of every event the telemetry forwarder puts. */
export const TELEMETRY_EVENT_SOURCE = 'cdk-iot-dr.telemetry';

/** `detail-type` of every event the telemetry forwarder puts. */
export const TELEMETRY_DETAIL_TYPE = 'IoT telemetry message';

/**
 * Name of the telemetry forwarder function's role in the iot-services account of `region`: fixed, so the
 * bus policy in the data-analytics account admits exactly this role (by `aws:PrincipalArn`).
 */
export function telemetryForwarderRoleName(region: string): string {
  return `cdk-iot-dr-telemetry-forwarder-${region}`;
}
