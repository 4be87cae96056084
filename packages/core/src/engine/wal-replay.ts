// Opening a store's WAL: replays the records its file does not hold yet, in order, then leaves a writer that
// continues the log (or starts one). A record that cannot be applied makes the WAL corrupt, never half-open.
import { FeatherError } from '../errors.js';
import type { FileIo } from '../format/file-io.js';
import { raceDetails } from '../open/open-race.js';
import { SharedRecall } from '../records/recall-columns.js';
import type { ModelOp } from '../records/types.js';
import { decodeWrite, type LoggedWrite } from '../wal/op-codec.js';
import { readWal, WalWriter, type Durability } from '../wal/wal.js';

type RecallOp = Extract<ModelOp, { type: 'recall' }>;

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
  const recalls = new RecallRun();
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
    if (write.op.type === 'recall') recalls.add(write.op, out.replayedOps);
    else if (write.op.type !== 'storage') {
      out.replayedOps.push(write.op);
      recalls.end();
    }
    out.seq = record.seq;
    out.replayed++;
  }
  if (!store.readOnly) out.wal = WalWriter.resume(io, walPath, wal.validBytes, store.durability);
  return out;
}

/**
 * Consecutive `recall` ops of the replay, merged into one. A recall op carries absolute values (a flush's
 * counts and times), and nothing between two of them changes which record a row holds, so a run applies as
 * its latest entry per row. A store that searches with `track` on logs one every second; merged, what the
 * facade's mirror is sent and applies at an open is bounded by the rows recalled, not by the WAL's length.
 */
class RecallRun {
  #op: RecallOp | undefined;
  /** Per row, 1 + its entry in #op (0: none), once a second op joins the run; cleared when the run ends. */
  #at = new Int32Array(0);
  #merging = false;

  /** Adds `op` to the run (appending it to `ops` when it starts one); `op` itself is never changed. */
  add(op: RecallOp, ops: ModelOp[]): void {
    if (this.#op === undefined) {
      this.#op = op;
      ops.push(op);
      return;
    }
    if (!this.#merging) {
      const first = this.#op;
      const merged: RecallOp = { type: 'recall', rows: [], counts: [], lasts: [] };
      ops[ops.length - 1] = merged;
      this.#op = merged;
      this.#merging = true;
      this.#merge(first);
    }
    this.#merge(op);
  }

  /** Another kind of op came: the next recall op starts a new run. */
  end(): void {
    if (this.#merging) for (const row of this.#op!.rows) this.#at[row] = 0;
    this.#op = undefined;
    this.#merging = false;
  }

  #merge(op: RecallOp): void {
    const merged = this.#op!;
    for (let i = 0; i < op.rows.length; i++) {
      const row = op.rows[i];
      // No store holds that many rows (the shared recall columns' bound): the entry could only be skipped.
      if (row >= SharedRecall.maxRows) continue;
      if (row >= this.#at.length) this.#grow(row);
      const entry = this.#at[row] - 1;
      if (entry < 0) {
        this.#at[row] = merged.rows.push(row);
        merged.counts.push(op.counts[i]);
        merged.lasts.push(op.lasts[i]);
      } else {
        merged.counts[entry] = op.counts[i]!;
        merged.lasts[entry] = op.lasts[i];
      }
    }
  }

  #grow(row: number): void {
    const grown = new Int32Array(Math.max(row + 1, this.#at.length * 2, 1024));
    grown.set(this.#at);
    this.#at = grown;
  }
}
