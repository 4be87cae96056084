// An insert task's loop (src/readers/link-nodes.ts) on a real index: nodes linked in order, and the task
// stops after the node it is on once a search waits, never before its first.
import { HnswIndex, KernelArena } from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import { linkNodes } from '../src/readers/link-nodes.js';

const dim = 4;
const vector = (i: number): number[] => [Math.sin(i), Math.cos(i * 1.3), (i % 7) / 7, Math.sin(i * 0.4)];

/** An index with `n` reserved, unlinked nodes. */
function reserved(n: number): HnswIndex {
  const index = HnswIndex.create(KernelArena.create(), { dim, metric: 'l2' });
  index.reserveMany(Float32Array.from(Array.from({ length: n }, (_, i) => vector(i)).flat()));
  return index;
}

describe('linkNodes', () => {
  it('links every node in order while no search waits, and returns the count', () => {
    const index = reserved(40);
    const order: number[] = [];
    const linked = linkNodes(
      { index: index.address, first: 0, count: 40 },
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
      linkNodes(
        { index: index.address, first: 0, count: 20 },
        (id) => index.insertReserved(id),
        () => ++checks >= 5,
      ),
    ).toBe(5);
    // The rest, as the facade sends them again (an explicit node list, as merged and reused jobs carry).
    const rest = Array.from({ length: 35 }, (_, i) => 5 + i);
    expect(
      linkNodes(
        { index: index.address, first: 5, count: 35, nodes: rest },
        (id) => index.insertReserved(id),
        () => true,
      ),
    ).toBe(1);
    const order: number[] = [];
    const last = rest.slice(1);
    expect(
      linkNodes(
        { index: index.address, first: 6, count: 34, nodes: last },
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

  it('links nothing for an empty job', () => {
    expect(
      linkNodes(
        { index: 0, first: 0, count: 0 },
        () => expect.unreachable(),
        () => false,
      ),
    ).toBe(0);
  });
});
