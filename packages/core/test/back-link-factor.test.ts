// The pruning factor of a full list taking a back-link (kernels/assembly/insert.ts, backLinkAlpha; ADR 0008):
// hnswlib's heuristic while the index has never lost a node, Vamana's factor 1.2 from its first tombstone on,
// for good. The factor keeps more of a list's candidates, so lists pruned with it are longer on average.
import { clusteredVectors, row } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { KernelArena } from '../src/arena.js';
import { HnswIndex } from '../src/hnsw/hnsw-index.js';
import { kHM0, kNCount0 } from '../src/layout.js';

const dim = 16;
const n = 2000;
const data = clusteredVectors({ n: 2 * n + 1, dim, seed: 11 });
const firstHalf = data.subarray(0, n * dim);
const secondHalf = data.subarray(n * dim, 2 * n * dim);
const extra = row(data, dim, 2 * n);

/** Mean level-0 list length of nodes [0, count), and how many of them are full (M0 links). */
function level0(index: HnswIndex, count: number): { mean: number; full: number } {
  const u32 = index.arena.u32;
  const m0 = u32[(index.address + kHM0) >>> 2];
  let total = 0;
  let full = 0;
  for (let id = 0; id < count; id++) {
    const links = u32[(index.nodeAddress(id) + kNCount0) >>> 2];
    total += links;
    if (links === m0) full++;
  }
  return { mean: total / count, full };
}

/** The first half, then `between` on the index, then the second half; the first half's lists after that. */
function build(between: (index: HnswIndex) => void): { mean: number; full: number } {
  const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'l2', m: 6, efConstruction: 48 });
  index.addMany(firstHalf);
  between(index);
  index.addMany(secondHalf);
  return level0(index, n);
}

function repairAll(index: HnswIndex): void {
  const r = index.recycler.beginRepair()!;
  index.repairRange(0, r.bits, r.set, r.bits);
  index.recycler.commitRepair();
}

describe('back-links into full lists', () => {
  it("prune with hnswlib's heuristic until the index loses a node, then with the factor, also once its tombstones are gone", () => {
    const fresh = build(() => undefined);
    // A node added and kept: the same work as below but the loss.
    const kept = build((index) => index.add(extra));
    const lost = build((index) => index.delete(index.add(extra)));
    // Lost, repaired, retired and reused: no tombstone and no free slot is left when the second half goes in.
    const drained = build((index) => {
      index.delete(index.add(extra));
      repairAll(index);
      expect(index.freeNodeCount).toBe(1);
      index.reserveManyReusing(extra, [{ row: 0, namespace: 0, entity: 0 }]).forEach((id) => index.insertReserved(id));
      expect(index.freeNodeCount).toBe(0);
      expect(index.deletedCount).toBe(0);
    });
    // Serial and seeded, so each build is the same every run: 8.28 links a node fresh, 8.78 once a node was lost.
    expect(Math.abs(kept.mean - fresh.mean)).toBeLessThan(0.05);
    for (const churned of [lost, drained]) {
      expect(churned.mean).toBeGreaterThan(fresh.mean + 0.3);
      expect(churned.full).toBeGreaterThan(fresh.full);
    }
  });
});
