// Where a search runs (main/search-runner.ts, main/inline-budget.ts): on the calling thread when it is small,
// the pool idle and healthy; in the pool otherwise. Real shared memory and a real index; the
// pool is Piscina's run() recording its tasks (as in queues.test.ts), so the test sees which path ran.
import { createSlot, HnswIndex, KernelArena, publishGeneration, RowMap } from '@feather-db/core';
import type { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { InlineBudget, searchKind } from '../src/main/inline-budget.js';
import { SearchQueue } from '../src/main/search-queue.js';
import { SearchRunner } from '../src/main/search-runner.js';
import type { InsertReply, PoolTask, SearchQuery, SearchReplies } from '../src/protocol.js';
import { AttachCache } from '../src/shared/attach-cache.js';
import { searchOne } from '../src/shared/search-one.js';
import { packReplies, unpackSearches } from '../src/shared/search-wire.js';

type Pool = Piscina<PoolTask, SearchReplies | InsertReply>;
const dim = 4;

function setUp(ready: { value: boolean }) {
  const arena = KernelArena.create();
  const index = HnswIndex.create(arena, { dim, metric: 'l2' });
  const rows = RowMap.create(arena);
  for (let i = 0; i < 300; i++) {
    index.add([Math.sin(i), Math.cos(i * 1.7), (i % 13) / 13, Math.sin(i * 0.3)]);
    rows.set(i, i);
  }
  const slot = createSlot(arena);
  publishGeneration(arena, slot, { index: index.address, rowMap: rows.table });
  const handles = new AttachCache(arena);
  const tasks: { queries: SearchQuery[]; settle: () => void }[] = [];
  const pool = {
    run: (task: PoolTask) =>
      new Promise<SearchReplies>((resolve) => {
        const queries = unpackSearches(task as Extract<PoolTask, { type: 'search' }>);
        // The pool answers as a reader thread would: the same function on the same memory.
        tasks.push({
          queries,
          settle: () => resolve(packReplies(queries.map((q) => ({ ok: true, value: { ...searchOne(handles, q), ms: 0.05 } })))),
        });
      }),
  } as unknown as Pool;
  const budget = new InlineBudget();
  const queue = new SearchQueue(pool, 1, (q, ms) => SearchRunner.observe(budget, q, dim, ms));
  const runner = new SearchRunner(handles, budget, queue, () => ready.value);
  const query = (i: number): SearchQuery => ({
    vector: Float32Array.of(Math.sin(i + 0.5), Math.cos(i), 0.5, 0.1),
    slot,
    k: 5,
    ef: 32,
    plan: { kind: 'graph' },
  });
  return { handles, tasks, budget, runner, query };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SearchRunner', () => {
  it("runs a small search inline while the pool is healthy and idle, even before it answered one, with the pool's answer", async () => {
    const ready = { value: true };
    const { handles, tasks, runner, query } = setUp(ready);
    // The pool has not answered yet (its threads may still boot): the first search runs on this thread.
    const first = await runner.run(query(1), dim, undefined);
    expect(tasks).toHaveLength(0);
    expect(Array.from(first.rows)).toEqual(Array.from(searchOne(handles, query(1)).rows));
    // A large search goes to the pool; while it is there, the same small search joins it instead of running here.
    const huge = runner.run({ ...query(2), ef: 100_000 }, dim, undefined);
    const behind = runner.run(query(1), dim, undefined);
    // Not run here: it goes to the pool's one thread too, which holds it while it runs the large one.
    expect(tasks.flatMap((t) => t.queries).map((q) => q.ef)).toEqual([100_000, 32]);
    tasks[0].settle();
    await huge;
    tasks[1].settle();
    const pooled = await behind;
    expect(Array.from(pooled.rows)).toEqual(Array.from(first.rows));
    expect(Array.from(pooled.distances)).toEqual(Array.from(first.distances));
    // A pool that is not healthy (broken, closing) gets every search, so its error reaches the caller.
    await turn();
    ready.value = false;
    const sent = runner.run(query(3), dim, undefined);
    expect(tasks.flatMap((t) => t.queries)).toHaveLength(3);
    tasks.at(-1)!.settle();
    await sent;
  });

  it("keeps to the turn's budget: a sequential caller waits a turn, a concurrent one goes to the pool", async () => {
    const { tasks, budget, runner, query } = setUp({ value: true });
    await runner.run(query(1), dim, undefined);
    await turn();
    budget.spend(100);
    const waiting = runner.run(query(2), dim, undefined);
    const concurrent = runner.run(query(3), dim, undefined);
    // The first yields for the next turn; the second does not wait behind it.
    expect(tasks).toHaveLength(1);
    expect(tasks[0].queries[0].vector).toEqual(query(3).vector);
    tasks[0].settle();
    await concurrent;
    await waiting;
    // It ran inline in the next turn, with a fresh budget.
    expect(tasks).toHaveLength(1);
  });

  it('runs only the first search of a burst inline: the rest of the synchronous block goes to the pool', async () => {
    const { handles, tasks, runner, query } = setUp({ value: true });
    // Four searches issued in one loop, none awaited in between: the pool is idle and the budget fresh.
    const burst = [1, 2, 3, 4].map((i) => runner.run(query(i), dim, undefined));
    let settled = 0;
    while (settled < tasks.length) {
      tasks[settled++].settle();
      await turn();
    }
    const found = await Promise.all(burst);
    // The first ran here; the other three went to the pool, in order.
    expect(tasks.flatMap((t) => t.queries).map((q) => q.vector)).toEqual([2, 3, 4].map((i) => query(i).vector));
    found.forEach((f, i) => expect(Array.from(f.rows)).toEqual(Array.from(searchOne(handles, query(i + 1)).rows)));
    // A later call, alone in its block with the pool idle again, runs here.
    await runner.run(query(5), dim, undefined);
    expect(tasks).toHaveLength(settled);
  });

  it('never runs a large search inline, and runs a small searchMany inline only while it fits the budget', async () => {
    const { tasks, budget, runner, query } = setUp({ value: true });
    // ef 100,000 at the rate a pool thread reported for ef 32 (0.05 ms): an estimated ~150 ms.
    budget.observe(searchKind(query(1).slot, false), 32 * dim, 0.05);
    const huge = runner.run({ ...query(2), ef: 100_000 }, dim, undefined);
    expect(tasks).toHaveLength(1);
    tasks[0].settle();
    await huge;
    await turn();
    const few = await runner.runMany([query(3), query(4)], dim, undefined);
    expect(few).toHaveLength(2);
    expect(tasks).toHaveLength(1);
  });
});

describe('InlineBudget', () => {
  it('learns the cost per unit of a kind of search, and bounds what runs inline per turn', async () => {
    const budget = new InlineBudget();
    const graph = searchKind(0, false);
    const prior = budget.estimateMs(graph, 10_000);
    budget.observe(graph, 10_000, 0.05);
    expect(budget.estimateMs(graph, 10_000)).toBeCloseTo(0.05, 6);
    budget.observe(graph, 10_000, 0.15);
    // A running average: between the two, nearer the old value.
    expect(budget.estimateMs(graph, 10_000)).toBeGreaterThan(0.05);
    expect(budget.estimateMs(graph, 10_000)).toBeLessThan(0.1);
    // Other kinds keep the prior.
    expect(budget.estimateMs(searchKind(0, true), 10_000)).toBe(prior);
    // An outlier (a cold first search, a descheduled thread) counts for at most twice the estimate: the first
    // measurement of a kind ends at most twice the prior, a later one raises the estimate by at most 10%.
    const cold = searchKind(1, false);
    budget.observe(cold, 10_000, 100 * prior);
    expect(budget.estimateMs(cold, 10_000)).toBeCloseTo(2 * prior, 9);
    budget.observe(cold, 10_000, 100 * prior);
    expect(budget.estimateMs(cold, 10_000)).toBeCloseTo(2.2 * prior, 9);
    // Cheaper searches bring it down at the running average's pace.
    for (let i = 0; i < 40; i++) budget.observe(cold, 10_000, prior / 4);
    expect(budget.estimateMs(cold, 10_000)).toBeLessThan(prior / 2);
    expect(budget.small(3_000_000, 0.1)).toBe(false);
    expect(budget.small(10_000, 5)).toBe(false);
    expect(budget.small(10_000, 0.1)).toBe(true);
    // Up to a turn's whole budget: a 2.5 ms search (GloVe-100 at ef 256 on a slow host) still runs inline.
    expect(budget.small(10_000, 2.5)).toBe(true);
    expect(budget.small(10_000, 3.5)).toBe(false);
    expect(budget.fits(1)).toBe(true);
    budget.spend(2.5);
    expect(budget.fits(1)).toBe(false);
    await turn();
    expect(budget.fits(1)).toBe(true);
  });
});
