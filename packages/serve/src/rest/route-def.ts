import type { TSchema } from '@sinclair/typebox';

type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** What a handler gets: validated params, query and body. */
export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

/**
 * One REST route, declared once: Fastify registers and validates it from this, and the OpenAPI document
 * describes it from the same schemas.
 */
export interface RouteDef {
  method: HttpMethod;
  /** OpenAPI form: `{name}` params; a `:` is literal (as in `memories:batch`). */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: TSchema;
  query?: TSchema;
  body?: TSchema;
  status: number;
  response: TSchema;
  /** Needs the API key (every route but /health). */
  auth: boolean;
  handler: (input: RouteInput) => unknown;
}

/** The Fastify form of an OpenAPI path: a literal `:` doubled, `{name}` -> `:name`. */
export function fastifyPath(path: string): string {
  return path.replaceAll(':', '::').replace(/\{(\w+)\}/g, ':$1');
}

/** A path id: digits-only (a safe integer) means the integer id, anything else the string id. */
export function pathId(value: string): string | number {
  if (/^(0|[1-9]\d{0,15})$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  return value;
}
