/**
 * A small EventBridge event-pattern matcher (the subset pipe filters use: literal lists, `anything-but`,
 * `exists`, `prefix`), so the synthesized pipe filter itself decides which stream records reach replay.
 */
type Pattern = { [k: string]: Pattern | Matcher[] };
type Matcher = string | number | boolean | null | { [op: string]: unknown };

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
    throw new Error(`event pattern must be an object, got ${JSON.stringify(pattern)}`);
  }
  const obj = (event ?? {}) as Record<string, unknown>;
  for (const [field, sub] of Object.entries(pattern as Pattern)) {
    const value = obj[field];
    if (Array.isArray(sub)) {
      if (!matchesList(sub, value)) return false;
    } else {
      // EventBridge matches flattened paths: below a missing (or scalar) value every field is missing, which
      // only `exists: false` accepts.
      if (!matchesPattern(sub, value !== null && typeof value === 'object' ? value : {})) return false;
    }
  }
  return true;
}

function matchesList(matchers: Matcher[], value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return matchers.some((m) => matchOne(m, value, values));
}

function matchOne(m: Matcher, raw: unknown, values: unknown[]): boolean {
  if (m === null || typeof m !== 'object') return raw !== undefined && values.some((v) => v === m);
  const [op, arg] = Object.entries(m)[0];
  switch (op) {
    case 'exists':
      return arg ? raw !== undefined : raw === undefined;
    case 'prefix':
      return values.some((v) => typeof v === 'string' && v.startsWith(String(arg)));
    case 'anything-but': {
      if (raw === undefined) return false;
      const excluded = Array.isArray(arg) ? arg : [arg];
      return values.every((v) => !excluded.includes(v));
    }
    default:
      throw new Error(`event-pattern operator '${op}' is not supported by the test matcher`);
  }
}
