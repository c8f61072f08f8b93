/** A message AWS IoT would publish on the data plane (reserved shadow topics, HTTP Publish). */
export interface MqttMessage {
  readonly topic: string;
  /** The payload when it is a JSON object (always so for shadow messages), else `{}`: see `payloadText`. */
  readonly payload: Record<string, unknown>;
  /** The payload as UTF-8 text, whatever it holds. */
  readonly payloadText: string;
  readonly qos: number;
  readonly retain: boolean;
}

type Listener = (message: MqttMessage) => void;

/** Data-plane messages, delivered asynchronously (setImmediate) like registry events; never gated. */
export class DataPlaneBus {
  private readonly listeners = new Set<Listener>();
  private generation = 0;

  onMessage(listener: Listener): () => void {
    const subscription: Listener = (message) => listener(message);
    this.listeners.add(subscription);
    return () => {
      this.listeners.delete(subscription);
    };
  }

  publish(topic: string, payloadText: string, qos = 0, retain = false): void {
    let payload: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(payloadText);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) payload = parsed as Record<string, unknown>;
    } catch {
      // not JSON: payloadText carries it
    }
    const message: MqttMessage = { topic, payload, payloadText, qos, retain };
    const generation = this.generation;
    for (const listener of [...this.listeners]) {
      setImmediate(() => {
        if (generation === this.generation && this.listeners.has(listener)) listener(structuredClone(message));
      });
    }
  }

  reset(): void {
    this.generation += 1;
  }

  stop(): void {
    this.generation += 1;
    this.listeners.clear();
  }
}
