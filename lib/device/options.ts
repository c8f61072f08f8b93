import type { IClientOptions, MqttClient } from 'mqtt';
import { FAILOVER_NOTICE_TOPIC } from '../../lambda/contract/failover';
import { DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS } from '../shared-services/rto';
import { backoffWithDefaults, type BackoffOptions } from './backoff';
import { systemClock, type DeviceClock } from './clock';
import type { MessageIdCarrier } from './message-id';
import { systemResolver, type EndpointResolver } from './resolver';

/** Opens one MQTT connection; `mqtt.connect` by default. Injectable for tests and other transports. */
export type MqttConnect = (options: IClientOptions) => MqttClient;

/** Options of mqtt.js the helper sets itself; everything else passes through `mqttOptions`. */
export type ManagedMqttOption =
  | 'host'
  | 'hostname'
  | 'port'
  | 'protocol'
  | 'servername'
  | 'ALPNProtocols'
  | 'key'
  | 'cert'
  | 'ca'
  | 'clientId'
  | 'clean'
  | 'protocolVersion'
  | 'keepalive'
  | 'connectTimeout'
  | 'reconnectPeriod'
  | 'resubscribe'
  | 'queueQoSZero';

/** Re-resolving after a failover notice whose lookup still returned the old answer (a resolver cache). */
export interface NoticeFollowUpOptions {
  /**
   * Milliseconds between follow-up lookups.
   * @default 2000
   */
  readonly interval?: number;
  /**
   * How many follow-up lookups at most.
   * @default 30 - one minute at the default interval, longer than the failover records' default TTL
   */
  readonly count?: number;
}

export interface DevicePublishOptions {
  /**
   * AWS IoT supports QoS 0 and 1. QoS 1 messages are queued until acknowledged, across reconnections and
   * switches of region; QoS 0 messages are sent only while connected (the promise rejects otherwise).
   * @default 1
   */
  readonly qos?: 0 | 1;
  /** @default false */
  readonly retain?: boolean;
  /** @default - a random UUID */
  readonly messageId?: string;
  /** Further MQTT 5 user properties (the message id is added to them). */
  readonly userProperties?: { readonly [key: string]: string };
}

export interface DeviceSubscribeOptions {
  /** @default 1 */
  readonly qos?: 0 | 1;
}

export interface FailoverMqttClientOptions {
  /** The custom domain of the device endpoint, e.g. `iot.example.com` (FailoverRouting's failover records). */
  readonly endpoint: string;
  /** MQTT client id (the thing name, for AWS IoT policies using `iot:Connection.Thing.ThingName`). */
  readonly clientId: string;
  /** The device's private key (PEM). Kept out of events, errors and `util.inspect`. */
  readonly key?: string | Buffer;
  /** The device certificate (PEM), registered in both regions. */
  readonly cert?: string | Buffer;
  /** Trusted CAs (PEM); Node's bundle (which includes Amazon Root CA 1) when absent. */
  readonly ca?: string | string[] | Buffer | Buffer[];
  /**
   * `mqtts` (TLS) for AWS IoT; `mqtt` (plain TCP) only for local brokers such as the tests' and the drill's.
   * @default 'mqtts'
   */
  readonly protocol?: 'mqtts' | 'mqtt';
  /**
   * @default 8883 for `mqtts` (AWS IoT's MQTT port), 1883 for `mqtt`
   */
  readonly port?: number;
  /**
   * TLS SNI and the name the server certificate must match. The helper connects to the resolved address, so
   * the name must be given explicitly; AWS IoT picks the custom domain's configuration (and certificate) by it.
   * @default - the endpoint
   */
  readonly servername?: string;
  /**
   * TLS ALPN protocols.
   * @default - ['x-amzn-mqtt-ca'] on port 443 (AWS IoT's MQTT with X.509 on 443 needs it), none on 8883
   */
  readonly alpnProtocols?: string[];
  /**
   * @default 5 - AWS IoT supports MQTT 5; the message id travels as a user property
   */
  readonly protocolVersion?: 4 | 5;
  /**
   * MQTT keepalive, seconds (AWS IoT accepts 30 to 1200).
   * @default 60
   */
  readonly keepalive?: number;
  /**
   * Milliseconds to wait for CONNACK before the attempt counts as failed.
   * @default 10000
   */
  readonly connectTimeout?: number;
  /**
   * Milliseconds between periodic lookups of the endpoint. `FailoverRouting`'s `deviceResolvePeriod` must
   * match it: the recovery-time estimate counts one period for a device that missed the failover notice.
   * @default - DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS (10 s), the period FailoverRouting assumes
   */
  readonly resolvePeriod?: number;
  /** Reconnect backoff (milliseconds). */
  readonly backoff?: BackoffOptions;
  /**
   * Topic of the failover notice, subscribed on every connection (the device's IoT policy must allow it);
   * `false` to not listen.
   * @default FAILOVER_NOTICE_TOPIC
   */
  readonly failoverNoticeTopic?: string | false;
  /** Follow-up lookups after a notice that did not change the answer yet. */
  readonly noticeFollowUp?: NoticeFollowUpOptions;
  /**
   * QoS 1 messages kept until acknowledged, across reconnections and switches of region; `publish` rejects
   * beyond it.
   * @default 1000
   */
  readonly maxQueuedMessages?: number;
  /**
   * QoS 1 messages sent and not yet acknowledged on one connection; the rest wait in the queue. Bounds the
   * duplicates a switch can cause.
   * @default 20
   */
  readonly maxInflightMessages?: number;
  /**
   * Where the message id travels.
   * @default - 'user-property' with MQTT 5, 'envelope' with MQTT 3.1.1
   */
  readonly messageIdCarrier?: MessageIdCarrier;
  /**
   * Extra mqtt.js options (a `username` for a custom authorizer, CONNECT `properties`, ...), except the
   * ones the helper manages (`ManagedMqttOption`).
   */
  readonly mqttOptions?: Omit<IClientOptions, ManagedMqttOption>;
  /** @default systemResolver() */
  readonly resolver?: EndpointResolver;
  /** @default systemClock */
  readonly clock?: DeviceClock;
  /** Source of jitter, a number in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** @default - `connect` of the `mqtt` package (an optional peer dependency), loaded on first use */
  readonly connect?: MqttConnect;
}

/** The options with defaults applied and checked. */
export interface Settings {
  readonly endpoint: string;
  readonly clientId: string;
  readonly tls: { readonly key?: string | Buffer; readonly cert?: string | Buffer; readonly ca?: string | string[] | Buffer | Buffer[] };
  readonly protocol: 'mqtts' | 'mqtt';
  readonly port: number;
  readonly servername: string;
  readonly alpnProtocols?: string[];
  readonly protocolVersion: 4 | 5;
  readonly keepalive: number;
  readonly connectTimeout: number;
  readonly resolvePeriod: number;
  readonly backoff: Required<BackoffOptions>;
  readonly noticeTopic?: string;
  readonly noticeFollowUp: Required<NoticeFollowUpOptions>;
  readonly maxQueuedMessages: number;
  readonly maxInflightMessages: number;
  readonly messageIdCarrier: MessageIdCarrier;
  readonly mqttOptions: Omit<IClientOptions, ManagedMqttOption>;
  readonly resolver: EndpointResolver;
  readonly clock: DeviceClock;
  readonly random: () => number;
  readonly connect?: MqttConnect;
}

function positive(name: string, value: number, integer = false): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} > 0, got ${value}`);
  }
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be an integer >= 0, got ${value}`);
  return value;
}

export function settingsOf(o: FailoverMqttClientOptions): Settings {
  if (!o.endpoint) throw new Error('endpoint must be the device endpoint host name, e.g. iot.example.com');
  if (!o.clientId) throw new Error('clientId must be set (usually the thing name)');
  const protocol = o.protocol ?? 'mqtts';
  if (protocol !== 'mqtts' && protocol !== 'mqtt') throw new Error(`protocol must be 'mqtts' or 'mqtt', got '${protocol}'`);
  const port = positive('port', o.port ?? (protocol === 'mqtts' ? 8883 : 1883), true);
  const protocolVersion = o.protocolVersion ?? 5;
  if (protocolVersion !== 4 && protocolVersion !== 5) throw new Error(`protocolVersion must be 4 or 5, got ${protocolVersion}`);
  const messageIdCarrier = o.messageIdCarrier ?? (protocolVersion === 5 ? 'user-property' : 'envelope');
  if (messageIdCarrier === 'user-property' && protocolVersion !== 5) {
    throw new Error("messageIdCarrier 'user-property' needs protocolVersion 5 (MQTT 3.1.1 has no properties); use 'envelope'");
  }
  return {
    endpoint: o.endpoint,
    clientId: o.clientId,
    tls: { key: o.key, cert: o.cert, ca: o.ca },
    protocol,
    port,
    servername: o.servername ?? o.endpoint,
    alpnProtocols: o.alpnProtocols ?? (protocol === 'mqtts' && port === 443 ? ['x-amzn-mqtt-ca'] : undefined),
    protocolVersion,
    keepalive: positive('keepalive', o.keepalive ?? 60, true),
    connectTimeout: positive('connectTimeout', o.connectTimeout ?? 10_000),
    resolvePeriod: positive('resolvePeriod', o.resolvePeriod ?? DEFAULT_DEVICE_RESOLVE_PERIOD_SECONDS * 1000),
    backoff: backoffWithDefaults(o.backoff),
    noticeTopic: o.failoverNoticeTopic === false ? undefined : (o.failoverNoticeTopic ?? FAILOVER_NOTICE_TOPIC),
    noticeFollowUp: {
      interval: positive('noticeFollowUp.interval', o.noticeFollowUp?.interval ?? 2000),
      count: nonNegativeInteger('noticeFollowUp.count', o.noticeFollowUp?.count ?? 30),
    },
    maxQueuedMessages: positive('maxQueuedMessages', o.maxQueuedMessages ?? 1000, true),
    maxInflightMessages: positive('maxInflightMessages', o.maxInflightMessages ?? 20, true),
    messageIdCarrier,
    mqttOptions: o.mqttOptions ?? {},
    resolver: o.resolver ?? systemResolver(),
    clock: o.clock ?? systemClock,
    random: o.random ?? Math.random,
    connect: o.connect,
  };
}

/** The mqtt.js options of one connection attempt to `address`. */
export function mqttClientOptions(s: Settings, address: string): IClientOptions {
  return {
    ...s.mqttOptions,
    protocol: s.protocol,
    host: address,
    port: s.port,
    // The helper connects to an address: SNI and the certificate check need the name explicitly.
    ...(s.protocol === 'mqtts' ? { servername: s.servername, ALPNProtocols: s.alpnProtocols, rejectUnauthorized: true, ...s.tls } : {}),
    clientId: s.clientId,
    clean: true,
    protocolVersion: s.protocolVersion,
    keepalive: s.keepalive,
    connectTimeout: s.connectTimeout,
    // The helper owns reconnection, resubscription and the queue: mqtt.js must not do its own.
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
  };
}

/** `connect` of the `mqtt` package, loaded on first use: it is an optional peer dependency. */
export async function loadMqttConnect(): Promise<MqttConnect> {
  try {
    const mqtt = await import('mqtt');
    return mqtt.connect;
  } catch (error) {
    throw new Error("cdk-iot-dr/device needs the 'mqtt' package (v5): npm install mqtt@^5", { cause: error });
  }
}
