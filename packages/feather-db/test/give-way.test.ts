// A pool task's loop over its nodes (src/shared/give-way.ts) on a real index: nodes linked (or repaired) in
// order, and the task stops after the node it is on once a search waits, never before its first.
import { HnswIndex, KernelArena } from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import { eachNodeGivingWay } from '../src/shared/give-way.js';

const dim = 4;
const vector = (i: number): number[] => [Math.sin(i), Math.cos(i * 1.3), (i % 7) / 7, Math.sin(i * 0.4)];

/** An index with `n` reserved, unlinked nodes. */
function reserved(n: number): HnswIndex {
  const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'l2' });
  index.reserveMany(Float32Array.from(Array.from({ length: n }, (_, i) => vector(i)).flat()));
  return index;
}

describe('eachNodeGivingWay', () => {
  it('links every node in order while no search waits, and returns the count', () => {
    const index = reserved(40);
    const order: number[] = [];
    const linked = eachNodeGivingWay(
      { first: 0, count: 40 },
      (id) => {
        order.push(id);
        index.insertReserved(id);
      },
      () => false,
    );
    expect(linked).toBe(40);
    expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(index.search(vector(17), 1).ids[0]).toBe(17);
  });

  it('stops after the node it is on once a search waits, and after the first when one waits from the start', () => {
    const index = reserved(40);
    let checks = 0;
    // A search starts waiting while the fifth node is being linked.
    expect(
      eachNodeGivingWay(
        { first: 0, count: 20 },
        (id) => index.insertReserved(id),
        () => ++checks >= 5,
      ),
    ).toBe(5);
    // The rest, as the facade sends them again (an explicit node list, as merged and reused jobs carry).
    const rest = Array.from({ length: 35 }, (_, i) => 5 + i);
    expect(
      eachNodeGivingWay(
        { first: 5, count: 35, nodes: rest },
        (id) => index.insertReserved(id),
        () => true,
      ),
    ).toBe(1);
    const order: number[] = [];
    const last = rest.slice(1);
    expect(
      eachNodeGivingWay(
        { first: 6, count: 34, nodes: last },
        (id) => {
          order.push(id);
          index.insertReserved(id);
        },
        () => false,
      ),
    ).toBe(34);
    expect(order).toEqual(last);
    for (let i = 0; i < 40; i++) expect(index.search(vector(i), 1).ids[0]).toBe(i);
  });

  it('a repair run in pieces, each ended early by a waiting search, gives the graph one whole repair gives', () => {
    // Two equal graphs (levels come from the index's seeded generator), the same nodes forgotten in both.
    const [whole, pieces] = [reserved(300), reserved(300)];
    for (const index of [whole, pieces]) {
      for (let id = 0; id < 300; id++) index.insertReserved(id);
      for (let id = 0; id < 300; id += 3) index.delete(id);
    }
    const a = whole.recycler.beginRepair()!;
    whole.repairRange(0, a.bits, a.set, a.bits);
    whole.recycler.commitRepair();
    const b = pieces.recycler.beginRepair()!;
    // A search starts waiting every seventh node; the rest goes again, as the facade sends it.
    let checks = 0;
    let tasks = 0;
    for (let first = 0; first < b.bits; tasks++) {
      first += eachNodeGivingWay(
        { first, count: b.bits - first },
        (id) => pieces.repairRange(id, 1, b.set, b.bits),
        () => ++checks % 7 === 0,
      );
    }
    pieces.recycler.commitRepair();
    expect(tasks).toBeGreaterThan(1);
    for (let q = 0; q < 40; q++) {
      const query = vector(q + 0.5);
      expect(Array.from(pieces.search(query, 10).ids)).toEqual(Array.from(whole.search(query, 10).ids));
    }
  });

  it('links nothing for an empty job', () => {
    expect(
      eachNodeGivingWay(
        { first: 0, count: 0 },
        () => expect.unreachable(),
        () => false,
      ),
    ).toBe(0);
  });
});
