import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { IotServiceError, invalidRequest, serviceUnavailable, throttling, unknownOperation } from './errors';
import { callerFromRequest, type CloudTrailRecorder } from './cloudtrail';
import type { ThrottleInjector, TokenBucketLimiter } from './quotas';
import { RawOutput, type OperationInput, type Router } from './router';

export interface RequestPipeline {
  readonly router: Router;
  readonly limiter: TokenBucketLimiter;
  readonly throttles: ThrottleInjector;
  /** Counted 503 faults (`failNext()`): the same bookkeeping as counted throttles, another answer. */
  readonly outages: ThrottleInjector;
  /** Per operation, every call that reached a route — throttled ones included. */
  readonly callCounts: Map<string, number>;
  /** Per operation, calls answered 429 because its TPS quota was exceeded (injected faults not included). */
  readonly quotaThrottles: Map<string, number>;
  /** Successful calls of audited routes become CloudTrail events. */
  readonly cloudTrail?: CloudTrailRecorder;
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
    const requestId = randomUUID();
    const match = pipeline.router.match(method, url.pathname);
    if (match === undefined) throw unknownOperation(method, url.pathname);
    const operation = match.route.operation;
    pipeline.callCounts.set(operation, (pipeline.callCounts.get(operation) ?? 0) + 1);
    if (pipeline.outages.isThrottled(operation)) throw serviceUnavailable(operation);
    if (pipeline.throttles.isThrottled(operation)) throw throttling(operation);
    if (!pipeline.limiter.tryAcquire(operation)) {
      pipeline.quotaThrottles.set(operation, (pipeline.quotaThrottles.get(operation) ?? 0) + 1);
      throw throttling(operation);
    }
    const input: OperationInput = {
      labels: match.labels,
      query: url.searchParams,
      body: match.route.rawBody ? {} : parseBody(rawBody.toString('utf8')),
      headers: flattenHeaders(req),
      rawBody,
      caller: callerFromRequest(req.headers, req.socket.remoteAddress),
    };
    const output = match.route.handle(input);
    pipeline.cloudTrail?.record(match.route, input, output, requestId);
    if (output instanceof RawOutput) {
      sendRaw(res, 200, output.contentType, output.body, requestId);
      return;
    }
    send(res, 200, {}, output ?? {}, requestId);
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
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

function flattenHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(',') : value;
  return headers;
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown, requestId = randomUUID()): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': requestId,
    ...headers,
  });
  res.end(text);
}

function sendRaw(res: ServerResponse, status: number, contentType: string, body: Buffer | string, requestId: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-RequestId': requestId,
  });
  res.end(body);
}
