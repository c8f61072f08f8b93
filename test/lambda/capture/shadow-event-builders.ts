/** Shadow messages as the shadow topic rules deliver them (`SELECT *, topic() AS topic`). */
/** The messages' `timestamp`, epoch seconds. */
export const SHADOW_TS = 1_700_000_000;
const TS = SHADOW_TS;

/** An `/update/documents` message as the topic rule delivers it (`SELECT *, topic() AS topic`). */
export function documents(thing: string, shadow: string | undefined, version: number, state: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const base = shadow ? `$aws/things/${thing}/shadow/name/${shadow}` : `$aws/things/${thing}/shadow`;
  return {
    previous: version > 1 ? { state: {}, metadata: {}, version: version - 1 } : null,
    current: { state, metadata: { reported: { t: { timestamp: TS } } }, version },
    timestamp: TS,
    topic: `${base}/update/documents`,
    ...extra,
  };
}

export function deleteAccepted(thing: string, shadow: string | undefined, version: number, extra: Record<string, unknown> = {}) {
  const base = shadow ? `$aws/things/${thing}/shadow/name/${shadow}` : `$aws/things/${thing}/shadow`;
  return { version, timestamp: TS, topic: `${base}/delete/accepted`, ...extra };
}

