/**
 * Every failure the command API answers, as `{ error: { code, message, requestId?, retryable? } }` with an
 * HTTP status: IoT's errors mapped by name (not found 404, invalid 400, conflict 409, throttled 429 with
 * Retry-After, unavailable 503), ours by construction, anything else 500 with the request id to find its log.
 * Messages never quote a request body (a CSR) or a certificate.
 */
import { isServerFault, isThrottle } from '../shared/errors';

export class CommandError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly options: { readonly retryAfterSeconds?: number; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CommandError';
  }

  /** 429 and 5xx: the same request (same idempotency key) may succeed later. */
  get retryable(): boolean {
    return this.statusCode === 429 || this.statusCode >= 502;
  }
}

export const badRequest = (message: string): CommandError => new CommandError(400, 'BadRequest', message);
export const notFound = (code: string, message: string): CommandError => new CommandError(404, code, message);
export const unprocessable = (code: string, message: string): CommandError => new CommandError(422, code, message);
export const conflict = (code: string, message: string): CommandError => new CommandError(409, code, message);

const nameOf = (err: unknown): string => (typeof (err as { name?: unknown } | undefined)?.name === 'string' ? (err as Error).name : 'Error');

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'AbortError', 'NetworkingError']);

/**
 * No answer at all: a socket error, a DNS failure, a timeout. Duck-typed: socket errors are created by Node
 * itself, and `instanceof Error` does not hold for them in every realm.
 */
function isNetworkFailure(err: unknown, depth = 3): boolean {
  if (err === null || typeof err !== 'object' || depth < 0) return false;
  const { code, cause, message } = err as { code?: unknown; cause?: unknown; message?: unknown };
  if (NETWORK_NAMES.has(nameOf(err)) || (typeof code === 'string' && NETWORK_CODES.has(code))) return true;
  // The SDK wraps what it does not recognise as an Error into one holding only its text
  // ("AWS SDK error wrapper for Error: connect ECONNREFUSED ...").
  if (typeof message === 'string' && message.startsWith('AWS SDK error wrapper') && [...NETWORK_CODES].some((c) => message.includes(c))) return true;
  return isNetworkFailure(cause, depth - 1);
}

/** The IoT (or STS, DynamoDB) error `err` as a CommandError; `context` names the step, e.g. `AttachPolicy`. */
export function toCommandError(err: unknown, context: string): CommandError {
  if (err instanceof CommandError) return err;
  const name = nameOf(err);
  const detail = `${context}: ${name}${err instanceof Error && err.message ? `: ${err.message}` : ''}`;
  if (isThrottle(err)) return new CommandError(429, 'Throttled', `${context} was throttled; retry with the same Idempotency-Key`, { retryAfterSeconds: 2, cause: err });
  switch (name) {
    case 'ResourceNotFoundException':
      return new CommandError(404, 'NotFound', detail, { cause: err });
    case 'InvalidRequestException':
    case 'ValidationException':
      return new CommandError(400, 'InvalidRequest', detail, { cause: err });
    case 'CertificateValidationException':
      return new CommandError(422, 'InvalidCertificateRequest', detail, { cause: err });
    case 'ResourceAlreadyExistsException':
    case 'VersionConflictException':
    case 'DeleteConflictException':
    case 'CertificateStateException':
    case 'ConflictingResourceUpdateException':
      return new CommandError(409, 'Conflict', detail, { cause: err });
    default:
      break;
  }
  if (isServerFault(err) || isNetworkFailure(err)) {
    return new CommandError(503, 'ServiceUnavailable', `${context} failed on the service side; retry with the same Idempotency-Key`, { retryAfterSeconds: 1, cause: err });
  }
  return new CommandError(500, 'InternalError', `${context} failed unexpectedly`, { cause: err });
}

/** The JSON body of an error answer. */
export function errorBody(err: CommandError, requestId: string | undefined): Record<string, unknown> {
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(err.retryable ? { retryable: true } : {}),
      ...(requestId ? { requestId } : {}),
    },
  };
}
