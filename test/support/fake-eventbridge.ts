/**
 * A fake EventBridge PutEvents endpoint on loopback (JSON 1.1, `AWSEvents.PutEvents`), scripted to fail by
 * call count: the next calls can answer HTTP 500, throttle (400 ThrottlingException), fail some entries
 * (`InternalFailure`, `ThrottlingException`), reset the connection, accept and then reset (the caller
 * sees a network error although the events arrived: a duplicate on retry), or refuse connections
 * altogether (the server stops listening and starts again on the same port). It keeps every request
 * (headers and parsed body) and every accepted entry. Signatures are not verified; their shape is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly EventBusName: string;
  readonly Time?: number;
}

/** How the fake answers one call. */
export type Fault =
  /** Answers normally (a pass between faults). */
  | { readonly kind: 'ok' }
  | { readonly kind: 'http'; readonly status: number; readonly type?: string }
  | { readonly kind: 'throttle' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'acceptThenReset' }
  /** Fails the entries at these indexes with `code`; accepts the others. */
  | { readonly kind: 'entryErrors'; readonly code: string; readonly indexes?: readonly number[] };

export interface RecordedRequest {
  readonly headers: IncomingMessage['headers'];
  readonly body: { Entries: FakeEntry[]; EndpointId?: string };
  /** What the fake did: 'ok' or the fault's kind. */
  readonly answer: string;
}

export interface FakeEventBridge {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Every entry the fake accepted (answered with an EventId), in order; duplicates included. */
  readonly accepted: FakeEntry[];
  /** Queues faults for the next calls, one per call, in order; calls after them succeed. */
  failNext(...faults: Fault[]): void;
  /** Entries whose Detail makes this return an error code are always rejected with it (a permanent rejection). */
  rejectWhen(rule: (entry: FakeEntry) => string | undefined): void;
  /** Stops listening (connections are refused) until `resume`. */
  refuseConnections(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;

export async function startFakeEventBridge(): Promise<FakeEventBridge> {
  const requests: RecordedRequest[] = [];
  const accepted: FakeEntry[] = [];
  const faults: Fault[] = [];
  let reject: (entry: FakeEntry) => string | undefined = () => undefined;
  let nextEventId = 1;
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = await readBody(req);
    const body = JSON.parse(raw) as RecordedRequest['body'];
    const fault = faults.shift();
    requests.push({ headers: req.headers, body, answer: fault?.kind ?? 'ok' });
    const json = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(payload));
    };
    if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents' || !req.headers.authorization) {
      json(400, { __type: 'UnrecognizedClientException', message: 'unsigned or not PutEvents' });
      return;
    }
    if (!Array.isArray(body.Entries) || body.Entries.length === 0 || body.Entries.length > MAX_ENTRIES) {
      json(400, { __type: 'ValidationException', message: `Entries must hold 1 to ${MAX_ENTRIES} entries` });
      return;
    }
    if (Buffer.byteLength(raw) > MAX_REQUEST_BYTES + 4096) {
      json(400, { __type: 'ValidationException', message: 'Total size of the entries in the request is over the limit.' });
      return;
    }
    switch (fault?.kind) {
      case 'http':
        json(fault.status, { __type: fault.type ?? 'InternalException', message: 'scripted failure' });
        return;
      case 'throttle':
        json(400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
        return;
      case 'reset':
        req.socket.destroy();
        return;
      default:
        break;
    }
    const results = body.Entries.map((entry, i) => {
      const permanent = reject(entry);
      if (permanent) return { ErrorCode: permanent, ErrorMessage: 'rejected' };
      if (fault?.kind === 'entryErrors' && (fault.indexes === undefined || fault.indexes.includes(i))) {
        return { ErrorCode: fault.code, ErrorMessage: 'scripted entry failure' };
      }
      accepted.push(entry);
      return { EventId: `event-${nextEventId++}` };
    });
    if (fault?.kind === 'acceptThenReset') {
      req.socket.destroy();
      return;
    }
    json(200, { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => req.socket.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted,
    failNext: (...more) => void faults.push(...more),
    rejectWhen: (rule) => void (reject = rule),
    refuseConnections: stop,
    resume: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: async () => {
      if (server.listening) await stop();
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
