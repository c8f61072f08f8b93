/**
 * EventBridge PutEvents without the EventBridge client: one JSON 1.1 POST, signed with SigV4 for a regional
 * endpoint or with SigV4a (pure JS, `@aws-sdk/signature-v4a`, region set `*`) for a global endpoint. The
 * SDK client would pick SigV4a itself, but only with the native CRT (`aws-crt`), which a Lambda bundle
 * cannot carry; this keeps the bundle small and free of native code.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4a } from '@aws-sdk/signature-v4a';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialsProvider } from '../shared/signed-request';

/** One PutEvents entry as the JSON 1.1 protocol writes it (`Time` in epoch seconds). */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time?: number;
}

/** EventBridge's answer for one entry: an EventId when accepted, an ErrorCode when not. */
export interface EntryResult {
  readonly eventId?: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
}

/**
 * What one PutEvents request came to: per-entry results in request order (`answered`), or a failure of
 * the whole request (`failed`), `retryable` unless retrying the same request cannot succeed.
 */
export type PutEventsOutcome =
  | { readonly kind: 'answered'; readonly results: readonly EntryResult[] }
  | { readonly kind: 'failed'; readonly error: string; readonly retryable: boolean };

export type PutEvents = (entries: readonly PutEventsEntry[]) => Promise<PutEventsOutcome>;

export interface PutEventsOptions {
  /** `https://events.<region>.amazonaws.com`, or the global endpoint's `https://<id>.endpoint.events.amazonaws.com`. */
  readonly url: string;
  /** The global endpoint's id: sent as `EndpointId`, and the request is signed with SigV4a. */
  readonly endpointId?: string;
  /** Region signed for with SigV4 (ignored with SigV4a, which signs for every region). */
  readonly region: string;
  readonly credentials: CredentialsProvider;
  /** A request taking longer is abandoned (and counts as a retryable failure). */
  readonly timeoutMs: number;
}

/** Request-level errors retrying the same request cannot fix; anything else (5xx, throttling, access, network) may pass. */
const NOT_RETRYABLE_REQUEST_ERRORS = new Set(['ValidationException', 'SerializationException']);

const KEEP_ALIVE = new https.Agent({ keepAlive: true });

/** Answers bigger than this are cut: a PutEvents answer for ten entries is well under 4 KB. */
const MAX_ANSWER_BYTES = 64 * 1024;

export function createPutEvents(options: PutEventsOptions): PutEvents {
  const url = new URL(options.url);
  const signer = options.endpointId
    ? new SignatureV4a({ service: 'events', region: '*', credentials: options.credentials, sha256: Sha256 })
    : new SignatureV4({ service: 'events', region: options.region, credentials: options.credentials, sha256: Sha256 });
  return async (entries) => {
    const body = JSON.stringify({ Entries: entries, ...(options.endpointId ? { EndpointId: options.endpointId } : {}) });
    let answer: { status: number; body: string };
    try {
      const signed = await signer.sign(
        {
          method: 'POST',
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: {},
          headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
          body,
        },
        {},
      );
      answer = await post(url, signed.headers as Record<string, string>, body, options.timeoutMs);
    } catch (err) {
      return { kind: 'failed', error: `${(err as Error).name}: ${(err as Error).message}`, retryable: true };
    }
    return interpret(answer, entries.length);
  };
}

/** Reads a PutEvents answer; malformed answers count as retryable failures (the service was not itself). */
export function interpret(answer: { status: number; body: string }, entryCount: number): PutEventsOutcome {
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(answer.body);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  if (answer.status === 200) {
    const entries = parsed?.Entries;
    if (!Array.isArray(entries) || entries.length !== entryCount) {
      return { kind: 'failed', error: `PutEvents answered ${entryCount} entries with ${Array.isArray(entries) ? entries.length : 'no'} results`, retryable: true };
    }
    return {
      kind: 'answered',
      results: entries.map((e: Record<string, unknown>) => ({
        ...(typeof e?.EventId === 'string' && e.EventId !== '' ? { eventId: e.EventId } : {}),
        ...(typeof e?.ErrorCode === 'string' ? { errorCode: e.ErrorCode } : {}),
        ...(typeof e?.ErrorMessage === 'string' ? { errorMessage: e.ErrorMessage } : {}),
      })),
    };
  }
  // JSON 1.1 errors: `__type` is `[namespace#]Code`; x-amzn-ErrorType is not always present.
  const type = typeof parsed?.__type === 'string' ? parsed.__type.split('#').pop()! : `HTTP${answer.status}`;
  const message = typeof parsed?.message === 'string' ? parsed.message : typeof parsed?.Message === 'string' ? parsed.Message : '';
  const retryable = answer.status >= 500 || answer.status === 429 || !NOT_RETRYABLE_REQUEST_ERRORS.has(type);
  return { kind: 'failed', error: message ? `${type}: ${message}` : type, retryable };
}

/** Plain node:http(s), not fetch: the signed `host` header must go out exactly as signed. */
function post(url: URL, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
        ...(transport === https ? { agent: KEEP_ALIVE } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(body);
  });
}
