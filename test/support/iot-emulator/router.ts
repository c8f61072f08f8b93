import { invalidRequest } from './errors';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request after routing: path labels decoded, query and JSON body as sent by the SDK. */
export interface OperationInput {
  readonly labels: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: Readonly<Record<string, unknown>>;
}

/** The JSON body of a successful response; `void` for operations whose output is empty. */
export type OperationOutput = Record<string, unknown> | void;

/** One IoT operation: its REST binding (as in the SDK's schema) and what it does. */
export interface Route {
  readonly operation: string;
  readonly method: HttpMethod;
  /** Path template with `{label}` segments, e.g. `/things/{thingName}`. */
  readonly path: string;
  readonly handle: (input: OperationInput) => OperationOutput;
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
