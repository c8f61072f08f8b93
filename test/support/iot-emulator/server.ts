import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IotServiceError, invalidRequest, serviceUnavailable, throttling, unknownOperation } from './errors';
import type { ThrottleInjector, TokenBucketLimiter } from './quotas';
import type { Router } from './router';

export interface RequestPipeline {
  readonly router: Router;
  readonly limiter: TokenBucketLimiter;
  readonly throttles: ThrottleInjector;
  /** Counted 503 faults (`failNext()`): the same bookkeeping as counted throttles, another answer. */
  readonly outages: ThrottleInjector;
  /** Per operation, every call that reached a route — throttled ones included. */
  readonly callCounts: Map<string, number>;
}

/**
 * One HTTP exchange in REST-JSON: route, count, throttle (injected faults, then the TPS quota), run the
 * handler, and answer with JSON — or with the error type in `x-amzn-ErrorType`, which is what the SDK
 * reads to build a typed exception.
 */
export async function handleRequest(pipeline: RequestPipeline, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  try {
    const rawBody = await readBody(req);
    const match = pipeline.router.match(method, url.pathname);
    if (match === undefined) throw unknownOperation(method, url.pathname);
    const operation = match.route.operation;
    pipeline.callCounts.set(operation, (pipeline.callCounts.get(operation) ?? 0) + 1);
    if (pipeline.outages.isThrottled(operation)) throw serviceUnavailable(operation);
    if (pipeline.throttles.isThrottled(operation) || !pipeline.limiter.tryAcquire(operation)) throw throttling(operation);
    const output = match.route.handle({ labels: match.labels, query: url.searchParams, body: parseBody(rawBody) });
    send(res, 200, {}, output ?? {});
  } catch (error) {
    if (error instanceof IotServiceError) {
      send(res, error.statusCode, { 'x-amzn-ErrorType': `${error.code}:` }, { message: error.message, ...error.fields });
      return;
    }
    // A bug in the emulator itself: a 500 whose message carries the stack, so the test failure shows it.
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    send(res, 500, { 'x-amzn-ErrorType': 'InternalFailureException:' }, { message: `IoT emulator bug: ${message}` });
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalidRequest('Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalidRequest('Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...headers,
  });
  res.end(text);
}
