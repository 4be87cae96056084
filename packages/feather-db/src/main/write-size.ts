// The cap on one write: every write is one WAL record (its payload length is a u32), and a record is built,
// logged and replayed whole. addBatch cuts its rows into writes below the cap.
import { FeatherError } from '@feather-db/core';
import type { MemoryFields } from './input.js';

/** Largest encoded size of one write (one WAL record): 64 MiB. */
export const kMaxWriteBytes: number = 64 * 1024 * 1024;

/**
 * An upper bound of the encoded size of one upserted memory: its float32 vector, its strings (at most 3
 * UTF-8 bytes per UTF-16 unit) and its attributes, plus a fixed overhead for ids, numbers and framing.
 */
export function upsertBytes(fields: Omit<MemoryFields, 'timestamp'>, floats: number): number {
  let bytes = 64 + 4 * floats;
  bytes += 3 * ((fields.text?.length ?? 0) + (fields.namespace?.length ?? 0) + (fields.entity?.length ?? 0));
  if (fields.attributes !== undefined)
    for (const [key, value] of Object.entries(fields.attributes))
      bytes += 16 + 3 * key.length + (typeof value === 'string' ? 3 * value.length : 9);
  return bytes;
}

/** @throws FEATHER_ERR_INVALID_ARGUMENT when one write would exceed kMaxWriteBytes. */
export function checkWriteSize(bytes: number, what: string): void {
  if (bytes > kMaxWriteBytes) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${what} would take up to ${bytes} bytes in one write; one write holds at most ${kMaxWriteBytes} bytes (kMaxWriteBytes); store less text or fewer attributes per memory`,
      { bytes, max: kMaxWriteBytes },
    );
  }
}
