// Errors never cross threads as thrown values: structured clone drops FeatherError's class and `code`. Every
// reply is a Reply<T>, built where the work ran (toReply) and opened where it was asked for (unwrap).
import { FeatherError, type WireError } from '@feather-db/core';
import type { Reply } from '../protocol.js';

/** Runs `fn` and turns any thrown error into a wire reply (non-Feather errors become FEATHER_ERR_INTERNAL). */
export function toReply<T>(fn: () => T): Reply<T> {
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}

/** The wire form of any thrown value (non-Feather errors become FEATHER_ERR_INTERNAL). */
export function toWire(error: unknown): WireError {
  if (error instanceof FeatherError) return error.toWire();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'FEATHER_ERR_INTERNAL', message: `Unexpected error in a worker: ${message}` };
}

/** The reply's value, or its error rebuilt as a FeatherError and thrown. */
export function unwrap<T>(reply: Reply<T>): T {
  if (!reply.ok) throw FeatherError.fromWire(reply.error);
  return reply.value;
}
