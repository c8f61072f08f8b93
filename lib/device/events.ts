import type { IPublishPacket } from 'mqtt';
import type { FailoverNotice } from '../../lambda/contract/failover';
import type { ResolvedEndpoint } from './resolver';

/** What made the helper look the endpoint up. */
export type ResolveTrigger =
  | 'start'
  | 'period'
  | 'failover-notice'
  | 'notice-follow-up'
  | 'connection-lost'
  | 'manual';

/** Where the helper is: `waiting` is a backoff (or jitter) wait before the next connection attempt. */
export type FailoverClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'ended';

/** A lookup finished. `changed` is false when the answer still points where the device is. */
export interface ResolvedEvent {
  readonly endpoint: string;
  readonly answer: ResolvedEndpoint;
  readonly changed: boolean;
  readonly trigger: ResolveTrigger;
  /** Clock time, milliseconds. */
  readonly at: number;
}

/** The answer changed: the helper leaves `from` and connects to `to` after `delayMs` of jitter. */
export interface SwitchingEvent {
  readonly endpoint: string;
  readonly from?: string;
  readonly to: string;
  readonly trigger: ResolveTrigger;
  readonly delayMs: number;
  readonly at: number;
}

/** Connected, with every subscription re-established (sessions do not move between regions). */
export interface ConnectedEvent {
  readonly endpoint: string;
  readonly address: string;
  /** TLS SNI sent (the name the server certificate was checked against); absent over plain TCP. */
  readonly servername?: string;
  /** Topic filters subscribed on this connection, the failover notice topic included. */
  readonly subscriptions: readonly string[];
  /** QoS 1 messages waiting for an acknowledgement when the connection opened; they are sent on it. */
  readonly queued: number;
  readonly at: number;
}

/** A connection closed or an attempt failed; the next attempt follows after `retryInMs` unless the answer changes. */
export interface DisconnectedEvent {
  readonly address: string;
  readonly reason: string;
  /** True when an established connection dropped, false when an attempt failed. */
  readonly wasConnected: boolean;
  /** Failed attempts in a row at this answer, this one included. */
  readonly attempt: number;
  readonly retryInMs: number;
  readonly at: number;
}

/** An application message (the failover notice topic is reported as `failover-notice` instead). */
export interface ReceivedMessage {
  readonly topic: string;
  /** The application payload, unwrapped when the sender used the envelope. */
  readonly payload: Buffer;
  /** The sender's message id, when it carried one (see `MessageDeduplicator`). */
  readonly messageId?: string;
  readonly packet: IPublishPacket;
}

/** The events of `FailoverMqttClient`. */
export interface FailoverMqttClientEvents {
  resolved: [ResolvedEvent];
  switching: [SwitchingEvent];
  connected: [ConnectedEvent];
  disconnected: [DisconnectedEvent];
  'failover-notice': [FailoverNotice];
  message: [ReceivedMessage];
  /** Emitted only when a listener is attached: every error the helper sees is also retried. */
  error: [Error];
}
