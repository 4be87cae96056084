// The one place that turns errors into HTTP statuses and bodies (and MCP tool errors): kind -> status, with
// the few codes whose status says more than their kind.
import type { FastifyReply } from 'fastify';
import { FeatherError, type ErrorCode, type ErrorKind, type WireError } from 'feather-db';

const kStatusByKind: Readonly<Record<ErrorKind, number>> = Object.freeze({
  usage: 400,
  auth: 401,
  not_found: 404,
  conflict: 409,
  aborted: 408,
  busy: 503,
  unsupported: 501,
  io: 500,
  corruption: 500,
  internal: 500,
});

const kStatusByCode: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  FEATHER_ERR_PAYLOAD_TOO_LARGE: 413,
  // Over HTTP the store is closed only while the server shuts down: come back later.
  FEATHER_ERR_CLOSED: 503,
  // The provider behind the server failed (a bad server-side key, a timeout): a gateway error, not ours.
  FEATHER_ERR_EMBEDDER: 502,
});

export function statusOf(error: FeatherError): number {
  return kStatusByCode[error.code] ?? kStatusByKind[error.kind];
}

interface FrameworkError {
  code?: string;
  statusCode?: number;
  message?: string;
  validation?: { instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/** Fastify's own request errors, by code, as ours. */
const kFrameworkErrors: Readonly<Record<string, (message: string) => FeatherError>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () =>
    new FeatherError(
      'FEATHER_ERR_PAYLOAD_TOO_LARGE',
      'the request body is larger than this server accepts; send fewer memories per request or raise --body-limit',
      { limit: 'body-limit' },
    ),
  FST_ERR_CTP_INVALID_JSON_BODY: (m) =>
    new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `the request body is not valid JSON (${m}); send a JSON object`, { path: 'body' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: (m) => new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${m}; send a JSON object`, { path: 'body' }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (m) =>
    new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${m}; send Content-Type: application/json`, { path: 'body' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (m) =>
    new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${m}; send the body's true length`, { path: 'body' }),
};

/**
 * Any error a request can end with, as a FeatherError: ours pass through; the framework's (schema
 * validation, malformed JSON, an oversize body, an unknown route) get our codes; anything else is internal.
 */
export function toFeatherError(error: unknown): FeatherError {
  if (error instanceof FeatherError) return error;
  const e = (error ?? {}) as FrameworkError;
  if (e.validation !== undefined) {
    const first = e.validation[0];
    const where = `${e.validationContext ?? 'body'}${first?.instancePath ?? ''}`;
    const extra =
      first?.keyword === 'additionalProperties' ? ` (${String(first.params?.['additionalProperty'])} is not a field of this request)` : '';
    return new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${where} ${first?.message ?? 'is invalid'}${extra}; see /api/v1/openapi.json for the request's schema`,
      {
        path: where,
        errors: e.validation.map((v) => ({ path: v.instancePath, message: v.message, keyword: v.keyword, params: v.params })),
      },
    );
  }
  const known = e.code === undefined ? undefined : kFrameworkErrors[e.code];
  if (known !== undefined) return known(e.message ?? '');
  if (e instanceof SyntaxError || (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500)) {
    return new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', e.message ?? 'bad request', { path: 'request' });
  }
  return new FeatherError('FEATHER_ERR_INTERNAL', `the server failed: ${e.message ?? String(error)}; please report it`, undefined, {
    cause: error,
  });
}

/** The response body of an error: `{ code, message, details }`. */
export function errorBody(error: FeatherError): WireError {
  return error.toWire();
}

/** Answers `error` with its status and body. */
export function sendError(reply: FastifyReply, error: FeatherError): FastifyReply {
  return reply.code(statusOf(error)).send(errorBody(error));
}
