/**
 * Structured logs and CloudWatch metrics through the Embedded Metric Format: one JSON line on stdout,
 * no extra API calls or SDK clients on the hot path. Metric names and the default namespace are in
 * lambda/contract/metrics.ts and lambda/contract/env.ts, shared with the constructs' alarms.
 */
export type Unit = 'Count' | 'Milliseconds';

export interface Metric {
  readonly name: string;
  readonly value: number;
  readonly unit: Unit;
}

/** How many causes deep an error is logged; SDK errors wrapped by ours are one or two levels. */
const MAX_CAUSE_DEPTH = 5;

/** An error as logged: its name, message and (bounded) chain of causes. */
export interface LoggedError {
  readonly name: string;
  readonly message: string;
  /** A LoggedError when the cause is an Error; any other cause as it is. */
  readonly cause?: unknown;
}

/** `err` as plain JSON-able data, keeping its `cause` chain up to `depth` levels further. */
export function serializeError(err: Error, depth = MAX_CAUSE_DEPTH): LoggedError {
  const cause: unknown = err.cause;
  if (cause === undefined || depth <= 0) return { name: err.name, message: err.message };
  return { name: err.name, message: err.message, cause: cause instanceof Error ? serializeError(cause, depth - 1) : cause };
}

export function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, ...fields }, (_k, v: unknown) => (v instanceof Error ? serializeError(v) : v));
  (level === 'ERROR' ? console.error : console.log)(line);
}

/**
 * Emits metrics in EMF under `namespace`, both with the given dimensions and without any: alarms need the
 * dimensionless series (a percentile cannot be combined across dimension values).
 */
export function emitMetrics(namespace: string, dimensions: Record<string, string>, metrics: readonly Metric[]): void {
  if (metrics.length === 0) return;
  const keys = Object.keys(dimensions);
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: keys.length > 0 ? [keys, []] : [[]],
          Metrics: metrics.map((m) => ({ Name: m.name, Unit: m.unit })),
        },
      ],
    },
    ...dimensions,
  };
  for (const m of metrics) doc[m.name] = m.value;
  if (process.env.IOT_DR_SILENT_METRICS !== 'true') console.log(JSON.stringify(doc));
}
