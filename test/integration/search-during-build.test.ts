// A search sent to the pool while an addBatch links its nodes there runs after the node the thread is
// linking, not after the batch's tasks the thread holds (packages/feather-db/src/shared/give-way.ts), and
// the batch still links every row.
import { clusteredVectors, row, tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';

const kDim = 8;
const kRows = 2000;
const data = clusteredVectors({ n: kRows, dim: kDim, seed: 41 });

describe('searches during an addBatch', () => {
  it("a pooled search waits for one node of the batch, not for the thread's tasks, and the batch links every row", async () => {
    // One pool thread, whose first insert task stalls (a slow thread: internal-faults.ts) before it links. The
    // thread holds the batch's first two tasks (128 nodes each) while it stalls.
    process.env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ stall: { at: 'insert', ms: 1500 } });
    let db: Feather;
    try {
      db = await Feather.open(tempStorePath(), { dim: kDim, metric: 'l2', threads: 1 });
    } finally {
      delete process.env['FEATHER_INTERNAL_FAULTS'];
    }
    const batch = db.addBatch(data);
    // Usually inside the stall; the assertion below holds wherever these searches land.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const query = row(data, kDim, 0);
    // Two searches in one synchronous block: the first may run on this thread, the second goes to the pool.
    const [, pooled] = await Promise.all([db.search(query, { k: 100, ef: 400 }), db.search(query, { k: 100, ef: 400 })]);
    // The thread links at most the node it is on before the search starts, and the held task one node (which
    // is not yet visible: searches see a node once every node before it is linked). Before, the search ran
    // after both held tasks: 256 rows or more.
    expect(pooled.length).toBeLessThanOrEqual(1);
    const { ids } = await batch;
    expect(ids).toHaveLength(kRows);
    for (let i = 0; i < kRows; i += 97) {
      const [hit] = await db.search(row(data, kDim, i), { k: 1 });
      expect(hit.id).toBe(ids[i]);
    }
    expect((await db.checkIntegrity()).problems).toEqual([]);
    await db.close();
  });
});
