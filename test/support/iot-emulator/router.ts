import { invalidRequest } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who made a call, from the SigV4 access key id (see `callerFromAuthorization`). */
export interface CallerIdentity {
  readonly accessKeyId: string | undefined;
  /** The role the call is attributed to: the access key id, or `emulator-user` for unsigned calls. */
  readonly roleName: string;
  readonly userAgent: string | undefined;
  readonly sourceIp: string;
}

/** A request after routing: path labels decoded, query and JSON body as sent by the SDK. */
export interface OperationInput {
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body; `{}` for routes that take a raw body. */
  readonly body: Readonly<Record<string, unknown>>;
  /** Request headers, lower-case names (`x-amzn-principal` carries the principal of thing-principal APIs). */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body bytes as sent (blob payloads of the data plane). */
  readonly rawBody: Buffer;
  readonly caller: CallerIdentity;
}

/** A non-JSON (or pre-serialized) response body, for blob outputs of the data plane. */
export class RawOutput {
  constructor(
    readonly body: Buffer | string,
    readonly contentType = 'application/json',
  ) {}
}

/** The JSON body of a successful response; `void` for operations whose output is empty. */
export type OperationOutput = Record<string, unknown> | RawOutput | void;

/**
 * How a successful call appears in CloudTrail. requestParameters are the path labels, query parameters
 * (booleans as booleans), mapped headers and JSON body members; responseElements only the listed output
 * members — identifiers, never key material.
 */
export interface AuditSpec {
  /** header name → request parameter name, e.g. `{ 'x-amzn-principal': 'principal' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Output members copied into responseElements (null when empty). */
  readonly response?: readonly string[];
}

/** One IoT operation: its REST binding (as in the SDK's schema) and what it does. */
export interface Route {
  readonly operation: string;
  readonly method: HttpMethod;
  /** Path template with `{label}` segments, e.g. `/things/{thingName}`. */
  readonly path: string;
  readonly handle: (input: OperationInput) => OperationOutput;
  /** The body is a blob, not JSON: handlers read `rawBody`. */
  readonly rawBody?: boolean;
  /** Present for APIs that CloudTrail records as management (write) events. */
  readonly audit?: AuditSpec;
}

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
  readonly literalCount: number;
}

export interface RouteMatch {
  readonly route: Route;
  readonly labels: Record<string, string>;
}

export class Router {
  private readonly routes: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.routes = routes
      .map((route) => {
        const segments = splitPath(route.path);
        return { route, segments, literalCount: segments.filter((s) => !isLabel(s)).length };
      })
      // Literal segments win over labels: PUT /thing-groups/addThingToThingGroup is not a group named so.
      .sort((a, b) => b.literalCount - a.literalCount);
  }

  match(method: string, pathname: string): RouteMatch | undefined {
    const segments = splitPath(pathname);
    for (const candidate of this.routes) {
      if (candidate.route.method !== method || candidate.segments.length !== segments.length) continue;
      const labels: Record<string, string> = {};
      const matched = candidate.segments.every((template, i) => {
        if (isLabel(template)) {
          labels[template.slice(1, -1)] = decodeSegment(segments[i]);
          return true;
        }
        return template === segments[i];
      });
      if (matched) return { route: candidate.route, labels };
    }
    return undefined;
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function isLabel(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest(`Malformed path segment: ${segment}`);
  }
}
