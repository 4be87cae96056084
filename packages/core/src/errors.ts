// The only place where error codes are defined. Codes are append-only: never renamed or reused.
// kind: usage | not_found | conflict | aborted | busy | unsupported | io | corruption | internal | auth

/** Every error code Feather raises, with its kind and a one-line meaning (docs/errors.md mirrors this). */
export const kErrors = {
  FEATHER_ERR_INVALID_ARGUMENT: { kind: 'usage', meaning: 'An argument or option has the wrong type, range or shape' },
  FEATHER_ERR_DIMENSION_MISMATCH: { kind: 'usage', meaning: 'A vector does not have the dimension the index was created with' },
  FEATHER_ERR_NOT_FOUND: { kind: 'not_found', meaning: 'The id does not exist (or was deleted)' },
  FEATHER_ERR_CAPACITY: { kind: 'busy', meaning: 'The shared memory or the node table is full' },
  FEATHER_ERR_INTERNAL: { kind: 'internal', meaning: 'An invariant broke inside Feather; please report it' },
  FEATHER_ERR_CLOSED: { kind: 'usage', meaning: 'The store was closed' },
  FEATHER_ERR_CORRUPT: { kind: 'corruption', meaning: 'A .feather file or its WAL is damaged, truncated or not a Feather file' },
  FEATHER_ERR_FORMAT_VERSION: { kind: 'unsupported', meaning: 'The file was written by a newer, incompatible Feather format' },
  FEATHER_ERR_LOCKED: { kind: 'conflict', meaning: 'Another process holds the write lock of this store' },
  FEATHER_ERR_READ_ONLY: { kind: 'usage', meaning: 'The store was opened readOnly and cannot be changed' },
  FEATHER_ERR_IO: { kind: 'io', meaning: 'Reading or writing a store file failed in the operating system' },
  FEATHER_ERR_ABORTED: { kind: 'aborted', meaning: 'The call was aborted through its AbortSignal' },
  FEATHER_ERR_WORKER_EXITED: { kind: 'internal', meaning: 'A worker thread of the store exited or failed to start' },
  FEATHER_ERR_EMBEDDER: { kind: 'io', meaning: 'The embedding provider failed, refused the key or timed out' },
  FEATHER_ERR_ALREADY_EXISTS: {
    kind: 'conflict',
    meaning: 'A memory with this id already exists and the call was asked not to replace it',
  },
  FEATHER_ERR_UNAUTHORIZED: { kind: 'auth', meaning: 'A feather-serve request came without the API key, or with a wrong one' },
  FEATHER_ERR_PAYLOAD_TOO_LARGE: { kind: 'usage', meaning: 'A feather-serve request body is larger than the server accepts' },
} as const;

export type ErrorCode = keyof typeof kErrors;
export type ErrorKind = (typeof kErrors)[ErrorCode]['kind'];

/** The plain-object form that crosses thread and process boundaries (structured clone drops subclasses). */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * The one error type Feather throws. `code` is stable and documented in docs/errors.md; `kind` classifies
 * it (usage errors are the caller's to fix; io, corruption and internal are service errors).
 */
export class FeatherError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FeatherError';
    this.code = code;
    this.kind = kErrors[code].kind;
    this.details = details;
  }

  /** The structured-clone-safe form: `{ code, message, details }`. */
  toWire(): WireError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds a FeatherError from its wire form; unknown codes become FEATHER_ERR_INTERNAL. */
  static fromWire(wire: WireError): FeatherError {
    const code: ErrorCode = wire.code in kErrors ? wire.code : 'FEATHER_ERR_INTERNAL';
    return new FeatherError(code, wire.message, wire.details);
  }
}

/** Short printable form of a received value for error messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as unknown as ArrayLike<number>).length}`;
  return `a ${typeof value}`;
}

/** For the default branch of an exhaustive switch over a discriminated union. */
export function assertNever(value: never): never {
  throw new FeatherError('FEATHER_ERR_INTERNAL', `unexpected variant ${JSON.stringify(value)}`);
}
