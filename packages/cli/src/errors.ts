// Every failure the command reports carries a FeatherError code: foreign errors are wrapped once, here.
import { FeatherError } from 'feather-db';

/** The error as a FeatherError: system errors by errno (ENOENT: not found; others: I/O), anything else internal. */
export function toFeatherError(error: unknown): FeatherError {
  if (error instanceof FeatherError) return error;
  const errno = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (errno === 'ENOENT') return new FeatherError('FEATHER_ERR_NOT_FOUND', message, { errno }, { cause: error });
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return new FeatherError('FEATHER_ERR_IO', message, { errno }, { cause: error });
  return new FeatherError('FEATHER_ERR_INTERNAL', message, undefined, { cause: error });
}
