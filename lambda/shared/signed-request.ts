/**
 * SigV4-signed HTTP requests without an SDK client, for the odd single call where a whole client would
 * double a bundle: the health aggregator calls API Gateway (`execute-api`) and SSM's JSON API, replay asks
 * Lambda whether a pre-provisioning hook exists. Plain `node:http(s)` rather than `fetch`, because the
 * signed `host` header must go out exactly as signed.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

/**
 * The Lambda runtime's credentials (its execution role), from the environment, read on every call: the
 * runtime keeps them valid for the sandbox's life.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): CredentialsProvider {
  return async () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) throw new Error('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set');
    return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  };
}

export interface SignedRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  /** SigV4 service name: `execute-api`, `ssm`. */
  readonly service: string;
  readonly region: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** Reuses TLS connections to the same health API between calls: a handshake would cost most of the budget. */
const KEEP_ALIVE = new https.Agent({ keepAlive: true });

/** Answers bigger than this are cut: a verdict is a few hundred bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** Signs `request` with SigV4 and sends it; resolves with any HTTP status, rejects on network errors and abort. */
export async function sendSigned(request: SignedRequest, credentials: CredentialsProvider): Promise<HttpAnswer> {
  const url = new URL(request.url);
  const signer = new SignatureV4({ service: request.service, region: request.region, credentials, sha256: Sha256 });
  const query: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    query[key] = value;
  });
  const signed = await signer.sign({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query,
    headers: { host: url.host, ...(request.headers ?? {}) },
    ...(request.body !== undefined ? { body: request.body } : {}),
  });
  return send(url, request.method, signed.headers, request.body, request.signal);
}

/** Unsigned GET (user-supplied HTTPS checks). */
export function get(url: string, signal?: AbortSignal): Promise<HttpAnswer> {
  return send(new URL(url), 'GET', {}, undefined, signal);
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal | undefined,
): Promise<HttpAnswer> {
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = transport.request(
      url,
      {
        method,
        headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers,
        signal,
        ...(transport === https ? { agent: KEEP_ALIVE } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY_BYTES) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
