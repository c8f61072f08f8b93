/**
 * `cdk-iot-dr/device`: the device side of the failover. It runs on devices (Node.js) with the `mqtt`
 * package (v5, an optional peer dependency: `npm install mqtt@^5`), so it is not part of the jsii API; it is
 * compiled by tsconfig.device.json.
 *
 * ```ts
 * import { FailoverMqttClient, MessageDeduplicator } from 'cdk-iot-dr/device';
 *
 * const device = new FailoverMqttClient({
 *   endpoint: 'iot.example.com',          // FailoverRouting's device endpoint (custom domain, TLS SNI)
 *   clientId: thingName,
 *   key: readFileSync('device.key'),      // passed to TLS only; never logged or emitted
 *   cert: readFileSync('device.crt'),     // the same certificate is registered in both regions
 * });
 * device.on('connected', (e) => console.log(`connected to ${e.address}`));
 * device.on('message', (m) => handle(m.topic, m.payload));
 * device.on('error', (e) => console.warn(e.message)); // every error is retried; listening is optional
 * device.start();
 * await device.subscribe(`cmd/${thingName}`);          // resolves once granted; re-subscribed on every connection
 * await device.publish(`dt/${thingName}/telemetry`, JSON.stringify(reading)); // QoS 1, queued across switches
 * ```
 *
 * The device's IoT policy (in both regions) must allow `iot:Subscribe`/`iot:Receive` on the failover notice
 * topic (`FAILOVER_NOTICE_TOPIC`). Delivery is at least once; receivers drop repeats by message id
 * (`MessageDeduplicator`, or a conditional write keyed by `get_user_property('cdk-iot-dr-message-id')` in an
 * IoT rule), which makes it exactly once in effect.
 */
export { FailoverMqttClient } from './failover-mqtt-client';
export type {
  DevicePublishOptions,
  DeviceSubscribeOptions,
  FailoverMqttClientOptions,
  MqttConnect,
  ManagedMqttOption,
  NoticeFollowUpOptions,
} from './options';
export type {
  FailoverClientState,
  FailoverMqttClientEvents,
  ResolveTrigger,
  ResolvedEvent,
  SwitchingEvent,
  ConnectedEvent,
  DisconnectedEvent,
  ReceivedMessage,
} from './events';
export { systemResolver, answerChanged, type EndpointResolver, type ResolvedEndpoint } from './resolver';
export { systemClock, type DeviceClock } from './clock';
export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
export {
  MESSAGE_ID_USER_PROPERTY,
  MessageDeduplicator,
  messageIdOf,
  openEnvelope,
  wrapEnvelope,
  type MessageDeduplicatorOptions,
  type MessageIdCarrier,
  type ReceivedPacketLike,
} from './message-id';
export { FAILOVER_NOTICE_TOPIC, parseFailoverNotice, type FailoverNotice } from '../../lambda/contract/failover';
export { DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS } from '../shared-services/rto';
