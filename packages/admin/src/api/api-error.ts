/** What feather-serve answered instead of a result: its `{ code, message, details }`, and the HTTP status. */
export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached at all. */
  readonly status: number;
  /** FEATHER_ERR_* from the server, or FEATHER_ADMIN_NETWORK / FEATHER_ADMIN_BAD_RESPONSE from the page. */
  readonly code: string;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }
}

/** Any rejection as an ApiError (an abort stays recognisable by its code). */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof DOMException && error.name === 'AbortError')
    return new ApiError(0, 'FEATHER_ADMIN_ABORTED', 'the request was cancelled');
  return new ApiError(0, 'FEATHER_ADMIN_INTERNAL', error instanceof Error ? error.message : String(error));
}
