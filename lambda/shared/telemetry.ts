/**
 * Structured logs and CloudWatch metrics through the Embedded Metric Format: one JSON line on stdout,
 * no extra API calls or SDK clients on the hot path.
 */
export type Unit = 'Count' | 'Milliseconds';

export interface Metric {
  readonly name: string;
  readonly value: number;
  readonly unit: Unit;
}

export function log(level: 'INFO' | 'WARN' | 'ERROR', message: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, message, ...fields }, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v));
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

/** Metric names the constructs build alarms and dashboards on. */
export const METRIC_NAMES = {
  captured: 'EventsCaptured',
  superseded: 'EventsSuperseded',
  echoSuppressed: 'EchoesSuppressed',
  malformed: 'MalformedEvents',
  cascadeTombstones: 'CascadeTombstones',
  replayed: 'ItemsReplayed',
  replicationLag: 'ReplicationLag',
} as const;

/** Default CloudWatch namespace for the library's metrics. */
export const DEFAULT_METRICS_NAMESPACE = 'IotDr';
