// I/O faults end to end: the writer worker's n-th file operation fails (through the internal fault hook,
// packages/feather-db/src/shared/internal-faults.ts) while writes arrive and automatic saves fold the WAL. Each call
// settles (acknowledged, or rejected typed), the store goes on or fails closed with FEATHER_ERR_IO, close
// settles and releases the lock, and a reopen holds every acknowledged write. The exhaustive sweep over
// every fault point runs in-process against the engine (test/crash/io-faults.test.ts). Searches between the
// writes bump recall counts, which reach the WAL as recall flushes (recallFlushMs 0: one after each search's
// turn), so the faults also hit that write path: a reopen never holds more recalls than were made.
import { existsSync } from 'node:fs';
import { row, seededRandom, tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError } from 'feather-db';
import { describe, expect, it } from 'vitest';

const kDim = 4;
const rand = seededRandom(5);
const data = Float32Array.from({ length: 40 * kDim }, () => rand() - 0.5);
/** FEATHER_CRASH_FULL=1 (test:crash) sweeps every point up to the bound; the default suite a stride of them. */
const kStride = process.env['FEATHER_CRASH_FULL'] === '1' ? 1 : 3;
const kPoints: [string, number][] = [];
for (const [op, last] of [
  ['open', 14],
  ['write', 30],
  ['sync', 24],
  ['rename', 8],
] as const)
  for (let n = 1; n <= last; n += op === 'rename' ? 1 : kStride) kPoints.push([op, n]);

async function settled(p: Promise<unknown>): Promise<{ ok: boolean; code?: string }> {
  try {
    await p;
    return { ok: true };
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return { ok: false, code: (error as FeatherError).code };
  }
}

describe('I/O faults in the writer worker', () => {
  it.each(kPoints)('the %s #%i fails: calls settle typed, a reopen holds every acknowledged write', async (op, nth) => {
    const path = tempStorePath();
    process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ io: { op, nth, short: op === 'write' } });
    // A WAL of a few hundred bytes triggers an automatic save every few writes.
    const opening = settled(
      Feather.open(path, { dim: kDim, metric: 'l2', threads: 1, autoSaveWalBytes: 400, recallFlushMs: 0 }).then((db) => (store = db)),
    );
    delete process.env['FEATHER_INTERNAL_FAULTS'];
    let store: Feather | undefined;
    const opened = await opening;
    const acked: number[] = [];
    const recalled = new Map<number, number>();
    if (opened.ok) {
      const db = store!;
      let failed = false;
      for (let i = 0; i < 24; i++) {
        const r = await settled(db.add(row(data, kDim, i), { id: i }));
        if (r.ok) {
          // Once the store failed closed, nothing is acknowledged again.
          expect(failed).toBe(false);
          acked.push(i);
          // A search is a read: it succeeds whatever the disk does; its flush may hit the fault.
          await db.search(row(data, kDim, i), { k: 3, now: 1_000 + i });
          await new Promise((resolve) => setTimeout(resolve, 1));
        } else {
          expect(r.code).toBe('FEATHER_ERR_IO');
          failed = true;
        }
        if (i === 11) {
          const saved = await settled(db.save());
          if (!saved.ok) expect(saved.code).toBe('FEATHER_ERR_IO');
        }
      }
      for (const id of acked) recalled.set(id, db.get(id)!.recallCount);
      const closed = await settled(db.close());
      if (!closed.ok) expect(closed.code).toBe('FEATHER_ERR_IO');
    } else {
      expect(opened.code).toBe('FEATHER_ERR_IO');
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
    if (!existsSync(path)) {
      expect(acked).toEqual([]);
      return;
    }
    const again = await Feather.open(path, { threads: 1 });
    for (const id of acked) {
      expect(Array.from(again.getVector(id)!)).toEqual(Array.from(row(data, kDim, id)));
      expect(again.get(id)!.recallCount).toBeLessThanOrEqual(recalled.get(id)!);
    }
    expect((await again.checkIntegrity()).problems).toEqual([]);
    await again.close();
  });
});

describe('a failed automatic save', () => {
  it('is not swallowed: the store fails closed with it, and a reopen holds every acknowledged write', async () => {
    const path = tempStorePath();
    // Renames: #1 the new file, #2 its WAL, #3 the first automatic save's file.
    process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ io: { op: 'rename', nth: 3 } });
    const opening = Feather.open(path, { dim: kDim, metric: 'l2', threads: 1, autoSaveWalBytes: 400 });
    delete process.env['FEATHER_INTERNAL_FAULTS'];
    const db = await opening;
    const acked: number[] = [];
    let failure: FeatherError | undefined;
    for (let i = 0; i < 40 && failure === undefined; i++) {
      try {
        await db.add(row(data, kDim, i), { id: i });
        acked.push(i);
      } catch (error) {
        failure = error as FeatherError;
      }
    }
    expect(failure?.code).toBe('FEATHER_ERR_IO');
    expect(failure?.message).toContain('An automatic save failed');
    await db.close();
    const again = await Feather.open(path, { threads: 1 });
    expect(acked.length).toBeGreaterThan(0);
    for (const id of acked) expect(again.get(id)).toBeDefined();
    await again.close();
  });
});
