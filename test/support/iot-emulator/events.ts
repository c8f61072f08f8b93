import { randomUUID } from 'node:crypto';

/** A message AWS IoT would publish on a reserved `$aws/events/...` topic. */
export interface RegistryEvent {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/** The keys of UpdateEventConfigurations (the SDK's EventType enum). */
export const EVENT_CONFIGURATION_TYPES = [
  'THING',
  'THING_GROUP',
  'THING_TYPE',
  'THING_GROUP_MEMBERSHIP',
  'THING_GROUP_HIERARCHY',
  'THING_TYPE_ASSOCIATION',
  'JOB',
  'JOB_EXECUTION',
  'POLICY',
  'CERTIFICATE',
  'CA_CERTIFICATE',
] as const;

export type EventConfigurationType = (typeof EVENT_CONFIGURATION_TYPES)[number];

export function isEventConfigurationType(value: string): value is EventConfigurationType {
  return (EVENT_CONFIGURATION_TYPES as readonly string[]).includes(value);
}

/** Fields every registry event carries; payload builders place them where the docs show them. */
export interface EventHeader {
  readonly eventId: string;
  readonly timestamp: number;
}

type Listener = (event: RegistryEvent) => void;

/**
 * Registry events and the account's event configuration. Like AWS, only types enabled at the moment of
 * the change are published. Delivery is asynchronous (setImmediate), so tests cannot come to rely on an
 * event arriving before the API call returns.
 */
export class RegistryEventBus {
  private readonly listeners = new Set<Listener>();
  private readonly enabled = new Set<EventConfigurationType>();
  /** Bumped by reset(): events queued before it are dropped instead of leaking into the next test. */
  private generation = 0;
  private configurationCreatedAt: number;
  private configurationModifiedAt: number;

  constructor(private readonly now: () => number) {
    this.configurationCreatedAt = now();
    this.configurationModifiedAt = this.configurationCreatedAt;
  }

  onEvent(listener: Listener): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const subscription: Listener = (event) => listener(event);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  isEnabled(type: EventConfigurationType): boolean {
    return this.enabled.has(type);
  }

  setEnabled(type: EventConfigurationType, enabled: boolean): void {
    if (enabled) this.enabled.add(type);
    else this.enabled.delete(type);
    this.configurationModifiedAt = this.now();
  }

  enableAll(): void {
    for (const type of EVENT_CONFIGURATION_TYPES) this.enabled.add(type);
    this.configurationModifiedAt = this.now();
  }

  configurationDates(): { createdAt: number; modifiedAt: number } {
    return { createdAt: this.configurationCreatedAt, modifiedAt: this.configurationModifiedAt };
  }

  /** Publishes an event of `type` if that type is enabled; `build` lays out the documented payload. */
  publish(type: EventConfigurationType, topic: string, build: (header: EventHeader) => Record<string, unknown>): void {
    if (!this.enabled.has(type)) return;
    const event: RegistryEvent = { topic, payload: build({ eventId: randomUUID(), timestamp: this.now() }) };
    const generation = this.generation;
    for (const listener of [...this.listeners]) {
      setImmediate(() => {
        if (generation === this.generation && this.listeners.has(listener)) listener(structuredClone(event));
      });
    }
  }

  /** Back to a fresh account: all event types disabled, queued events dropped. Listeners stay subscribed. */
  reset(): void {
    this.generation += 1;
    this.enabled.clear();
    this.configurationCreatedAt = this.now();
    this.configurationModifiedAt = this.configurationCreatedAt;
  }

  /** On close: nothing more is delivered. */
  stop(): void {
    this.generation += 1;
    this.listeners.clear();
  }
}
