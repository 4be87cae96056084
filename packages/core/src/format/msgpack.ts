// The one msgpack codec of the file format: plain msgpack (no records extension, no extra types), so files
// decode the same forever.
import { Packr } from 'msgpackr';
import { FeatherError } from '../errors.js';

const kPackr = new Packr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

export function encode(value: unknown): Uint8Array {
  return kPackr.pack(value);
}

/** Decodes `bytes`; throws what msgpackr throws. */
export function unpack(bytes: Uint8Array): unknown {
  return kPackr.unpack(bytes);
}

/** Decodes a section of `path` named `part`. @throws FEATHER_ERR_CORRUPT when it does not decode. */
export function decode(bytes: Uint8Array, path: string, part: string): unknown {
  try {
    return kPackr.unpack(bytes);
  } catch (error) {
    throw new FeatherError(
      'FEATHER_ERR_CORRUPT',
      `Corrupt ${path}: the ${part} section does not decode (${(error as Error).message}); restore it from a backup`,
      { path, part },
      { cause: error },
    );
  }
}
