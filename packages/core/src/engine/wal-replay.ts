// Opening a store's WAL: replays the records its file does not hold yet, in order, then leaves a writer that
// continues the log (or starts one). A record that cannot be applied makes the WAL corrupt, never half-open.
import { FeatherError } from '../errors.js';
import type { FileIo } from '../format/file-io.js';
import { raceDetails } from '../open/open-race.js';
import type { ModelOp } from '../records/types.js';
import { decodeWrite, type LoggedWrite } from '../wal/op-codec.js';
import { readWal, WalWriter, type Durability } from '../wal/wal.js';

/** What replaying a store's WAL left. */
export interface WalReplay {
  /** The last commit applied (the file's when the WAL held nothing newer). */
  seq: number;
  replayed: number;
  /** The replayed ops, storage changes left out (what the facade's mirror applies). */
  replayedOps: ModelOp[];
  /** The log appends go to; undefined for a readOnly store. */
  wal: WalWriter | undefined;
}

/**
 * Applies, through `apply`, every record of `${path}.wal` after commit `seq` (the file's).
 * @throws FEATHER_ERR_CORRUPT when the WAL continues a later commit than the file's, or a record cannot be applied.
 */
export function replayWal(
  io: FileIo,
  store: { path: string; readOnly: boolean; durability: Durability },
  seq: number,
  apply: (write: LoggedWrite) => void,
): WalReplay {
  const walPath = `${store.path}.wal`;
  const out: WalReplay = { seq, replayed: 0, replayedOps: [], wal: undefined };
  if (!io.exists(walPath)) {
    if (!store.readOnly) out.wal = WalWriter.create(io, walPath, seq, store.durability);
    return out;
  }
  const wal = readWal(io, walPath);
  if (wal.baseSeq > seq) {
    throw new FeatherError(
      'FEATHER_ERR_CORRUPT',
      `Corrupt ${walPath}: it continues commit ${wal.baseSeq} but ${store.path} holds commit ${seq} (the two files do not belong together); move the WAL aside`,
      raceDetails('wal-ahead', { path: walPath, part: 'wal' }),
    );
  }
  for (const record of wal.records) {
    if (record.seq <= out.seq) continue;
    const write = decodeWrite(record.payload, walPath, record.seq);
    try {
      apply(write);
    } catch (error) {
      if (error instanceof FeatherError && error.code === 'FEATHER_ERR_CORRUPT') throw error;
      throw new FeatherError(
        'FEATHER_ERR_CORRUPT',
        `Corrupt ${walPath}: record ${record.seq} cannot be applied (${(error as Error).message}); move the WAL aside to open the last saved state`,
        { path: walPath, part: 'wal', seq: record.seq },
        { cause: error },
      );
    }
    if (write.op.type !== 'storage') out.replayedOps.push(write.op);
    out.seq = record.seq;
    out.replayed++;
  }
  if (!store.readOnly) out.wal = WalWriter.resume(io, walPath, wal.validBytes, store.durability);
  return out;
}
