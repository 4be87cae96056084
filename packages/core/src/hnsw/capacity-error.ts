import { FeatherError } from '../errors.js';
import { kWasmErrChunkTableFull, kWasmErrOutOfMemory } from '../layout.js';

/** The error for a negative return `rc` of a kernel entry point while trying to `action`. */
export function capacityError(action: string, rc: number): FeatherError {
  switch (rc) {
    case kWasmErrOutOfMemory:
      return new FeatherError(
        'FEATHER_ERR_CAPACITY',
        `Could not ${action}: the shared memory reached its 4 GiB limit; split the store or use int8 mode`,
      );
    case kWasmErrChunkTableFull:
      return new FeatherError(
        'FEATHER_ERR_CAPACITY',
        `Could not ${action}: the node table is full; create the index with a larger maxChunks or chunkShift`,
      );
    default:
      return new FeatherError('FEATHER_ERR_INTERNAL', `Could not ${action}: kernel returned ${rc}`);
  }
}
