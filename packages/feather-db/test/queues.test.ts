// The pool queues (main/task-window.ts, search-queue.ts, link-queue.ts) against a pool that records its
// tasks and answers when told: packing under load, the in-flight window, order, and errors per query.
import { FeatherError, KernelArena } from '@feather-db/core';
import type { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { EpochPins } from '../src/main/epoch-pins.js';
import { LinkQueue } from '../src/main/link-queue.js';
import { SearchQueue } from '../src/main/search-queue.js';
import type { InsertReply, PoolTask, SearchQuery, SearchReplies } from '../src/protocol.js';
import { packReplies, unpackSearches } from '../src/shared/search-wire.js';

type Pool = Piscina<PoolTask, SearchReplies | InsertReply>;

/** Piscina's run(), with each task held until the test settles it. */
function recordingPool(): { pool: Pool; tasks: { task: PoolTask; settle: (reply: SearchReplies | InsertReply | Error) => void }[] } {
  const tasks: { task: PoolTask; settle: (reply: SearchReplies | InsertReply | Error) => void }[] = [];
  const pool = {
    run: (task: PoolTask) =>
      new Promise<SearchReplies | InsertReply>((resolve, reject) =>
        tasks.push({ task, settle: (r) => (r instanceof Error ? reject(r) : resolve(r)) }),
      ),
  } as unknown as Pool;
  return { pool, tasks };
}

const query = (k: number): SearchQuery => ({ vector: Float32Array.of(k), slot: 0, k, ef: 10, plan: { kind: 'graph' } });
/** The queries a search task carries, as the reader thread reads them. */
const queriesOf = (task: PoolTask): SearchQuery[] => unpackSearches(task as Extract<PoolTask, { type: 'search' }>);
const sizes = (tasks: { task: PoolTask }[]): number[] => tasks.map((t) => queriesOf(t.task).length);
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const answer = (task: PoolTask): SearchReplies =>
  packReplies(queriesOf(task).map((q) => ({ ok: true, value: { rows: Uint32Array.of(q.k), distances: Float32Array.of(0), ms: 0 } })));

/** An insert task's reply when its thread linked every node it carried. */
const linkedAll = (task: PoolTask): InsertReply => ({ ok: true, value: (task as Extract<PoolTask, { type: 'insert' }>).count });

describe('SearchQueue', () => {
  it('sends one search per task while the pool has room (two tasks a thread), then packs an even share of the queue per slot', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new SearchQueue(pool, 2, () => undefined);
    const results = Array.from({ length: 10 }, (_, i) => queue.run(query(i + 1), 0));
    expect(sizes(tasks)).toEqual([1, 1, 1, 1]);
    tasks[0].settle(answer(tasks[0].task));
    await turn();
    // One slot free, six queued: an even share for each of the four slots (two threads, two tasks each), not all six.
    expect(sizes(tasks)).toEqual([1, 1, 1, 1, 2]);
    tasks[1].settle(answer(tasks[1].task));
    await turn();
    expect(sizes(tasks)).toEqual([1, 1, 1, 1, 2, 1]);
    for (const t of tasks.slice(2)) t.settle(answer(t.task));
    await turn();
    expect(sizes(tasks)).toEqual([1, 1, 1, 1, 2, 1, 1, 1, 1]);
    for (const t of tasks.slice(6)) t.settle(answer(t.task));
    const rows = (await Promise.all(results)).map((r) => r.rows[0]);
    expect(rows).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('packs a task only while the estimated work of its searches fits 4 ms; a longer search goes alone', async () => {
    const { pool, tasks } = recordingPool();
    const cost = (k: number): number => (k <= 2 ? 5 : 1.5);
    const queue = new SearchQueue(pool, 1, () => undefined);
    const results = Array.from({ length: 40 }, (_, i) => queue.run(query(i + 1), cost(i + 1)));
    // Answer the tasks in the order they were sent until every search has answered.
    for (let next = 0; next < tasks.length; next++) {
      tasks[next].settle(answer(tasks[next].task));
      await turn();
    }
    expect(await Promise.all(results)).toHaveLength(40);
    const sent = tasks.map((t) => queriesOf(t.task).map((q) => q.k));
    expect(sent.flat()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // 1.5 ms searches go in pairs (3 ms; a third would make 4.5), though the queue held enough for 19 a task.
    for (const batch of sent) expect(batch.length === 1 || batch.reduce((sum, k) => sum + cost(k), 0) <= 4).toBe(true);
    expect(Math.max(...sent.map((batch) => batch.length))).toBe(2);
  });

  it('packs at most 32 searches into a task', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new SearchQueue(pool, 1, () => undefined);
    const results = Array.from({ length: 80 }, (_, i) => queue.run(query(i + 1), 0));
    tasks[0].settle(answer(tasks[0].task));
    await turn();
    expect(Math.max(...sizes(tasks))).toBe(32);
    while (tasks.some((t) => t.task !== undefined)) {
      const t = tasks.shift()!;
      t.settle(answer(t.task));
      await turn();
    }
    expect(await Promise.all(results)).toHaveLength(80);
  });

  it("rejects one query with its own typed error, and a whole task's queries when the pool fails it", async () => {
    const { pool, tasks } = recordingPool();
    const queue = new SearchQueue(pool, 2, () => undefined);
    const a = queue.run(query(1), 0);
    const b = queue.run(query(2), 0);
    tasks[0].settle(packReplies([{ ok: false, error: { code: 'FEATHER_ERR_CAPACITY', message: 'full' } }]));
    tasks[1].settle(new Error('worker died'));
    await expect(a).rejects.toMatchObject({ code: 'FEATHER_ERR_CAPACITY', message: 'full' });
    await expect(a).rejects.toBeInstanceOf(FeatherError);
    await expect(b).rejects.toThrow('worker died');
  });

  it('an aborted search leaves the queue, or once sent gets its cancel flag set, and rejects with FEATHER_ERR_ABORTED at once', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new SearchQueue(pool, 1, () => undefined);
    const controller = new AbortController();
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const sent = { ...query(1), cancel };
    const results = [sent, query(2), query(3), { ...query(4), cancel }].map((q) =>
      queue.run(q, 0, q.cancel === undefined ? undefined : controller.signal),
    );
    // Two tasks sent to the one thread (1 and 2); 3 and 4 queued.
    expect(tasks).toHaveLength(2);
    controller.abort(new Error('user left'));
    await expect(results[0]).rejects.toMatchObject({ code: 'FEATHER_ERR_ABORTED' });
    await expect(results[3]).rejects.toMatchObject({
      code: 'FEATHER_ERR_ABORTED',
      message: expect.stringContaining('user left') as string,
    });
    expect(Atomics.load(cancel, 0)).toBe(1);
    tasks[0].settle(answer(tasks[0].task));
    tasks[1].settle(answer(tasks[1].task));
    await turn();
    // Query 4 never went out: the next task carries only query 3.
    expect(tasks.slice(2).map((t) => queriesOf(t.task).map((q) => q.k))).toEqual([[3]]);
    tasks[2].settle(answer(tasks[2].task));
    expect((await results[2]).rows[0]).toBe(3);
    await turn();
    expect(queue.idle).toBe(true);
  });
});

describe('LinkQueue', () => {
  it('hands jobs to the pool one per task, in submission order, at most two per thread at a time', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new LinkQueue(pool, 2, new EpochPins(KernelArena.create()));
    const done = Array.from({ length: 7 }, (_, i) => queue.run({ index: 64, first: i * 128, count: 128 }));
    expect(tasks.map((t) => (t.task as Extract<PoolTask, { type: 'insert' }>).first)).toEqual([0, 128, 256, 384]);
    for (let settled = 0; settled < 7; settled++) {
      tasks[settled].settle(linkedAll(tasks[settled].task));
      await turn();
    }
    expect(tasks.map((t) => (t.task as Extract<PoolTask, { type: 'insert' }>).first)).toEqual([0, 128, 256, 384, 512, 640, 768]);
    await Promise.all(done);
  });

  it('merges small jobs of one index queued behind a full window into tasks of an even share, nodes in order', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new LinkQueue(pool, 1, new EpochPins(KernelArena.create()));
    const nodesOf = (i: number): number[] => {
      const t = tasks[i].task as Extract<PoolTask, { type: 'insert' }>;
      return t.nodes ?? Array.from({ length: t.count }, (_, j) => t.first + j);
    };
    // Single adds: one node each; a job of another index must not join a task of the first.
    const done = Array.from({ length: 12 }, (_, i) => queue.run({ index: i === 9 ? 96 : 64, first: i, count: 1 }));
    // Two slots (one thread): the first two go alone, ten wait.
    expect(tasks.map((_, i) => nodesOf(i))).toEqual([[0], [1]]);
    tasks[0].settle(linkedAll(tasks[0].task));
    await turn();
    // Ten queued, two slots: half of them in one task, in node order.
    expect(nodesOf(2)).toEqual([2, 3, 4, 5, 6]);
    tasks[1].settle(linkedAll(tasks[1].task));
    await turn();
    // Five queued, two slots: three, but a task stops before the other index's job.
    expect(nodesOf(3)).toEqual([7, 8]);
    for (let i = 2; i < 4; i++) tasks[i].settle(linkedAll(tasks[i].task));
    await turn();
    // The other index's job alone; then two queued for two slots: one each.
    expect((tasks[4].task as Extract<PoolTask, { type: 'insert' }>).index).toBe(96);
    expect(nodesOf(4)).toEqual([9]);
    expect(nodesOf(5)).toEqual([10]);
    for (let i = 4; i < 6; i++) tasks[i].settle(linkedAll(tasks[i].task));
    await turn();
    expect(nodesOf(6)).toEqual([11]);
    tasks[6].settle(linkedAll(tasks[6].task));
    await Promise.all(done);
    expect(tasks).toHaveLength(7);
  });

  it('rejects every job of a merged task when the task fails', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new LinkQueue(pool, 1, new EpochPins(KernelArena.create()));
    const done = Array.from({ length: 6 }, (_, i) => queue.run({ index: 64, first: i, count: 1 }));
    tasks[0].settle(linkedAll(tasks[0].task));
    await turn();
    expect((tasks[2].task as Extract<PoolTask, { type: 'insert' }>).nodes).toEqual([2, 3]);
    tasks[2].settle({ ok: false, error: { code: 'FEATHER_ERR_INTERNAL', message: 'bad node' } });
    await expect(done[2]).rejects.toMatchObject({ code: 'FEATHER_ERR_INTERNAL' });
    await expect(done[3]).rejects.toMatchObject({ code: 'FEATHER_ERR_INTERNAL' });
    for (const t of tasks.slice(1)) if (t !== tasks[2]) t.settle(linkedAll(t.task));
    await turn();
    for (const t of tasks.slice(3)) t.settle(linkedAll(t.task));
    await expect(Promise.all([done[0], done[1], done[4], done[5]])).resolves.toBeDefined();
  });

  it('sends the nodes a task left when it gave way to a search next, in order, and settles a job once all its nodes are linked', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new LinkQueue(pool, 1, new EpochPins(KernelArena.create()));
    const settled: number[] = [];
    const done = [0, 1, 2].map((i) => queue.run({ index: 64, first: i * 128, count: 128 }).then(() => settled.push(i)));
    expect(tasks.map((t) => (t.task as Extract<PoolTask, { type: 'insert' }>).first)).toEqual([0, 128]);
    // The first task linked 5 of its 128 nodes: the other 123 go next, before the third job.
    tasks[0].settle({ ok: true, value: 5 });
    await turn();
    expect(tasks[2].task).toMatchObject({ first: 5, count: 123 });
    tasks[1].settle(linkedAll(tasks[1].task));
    await turn();
    expect(tasks[3].task).toMatchObject({ first: 256, count: 128 });
    expect(settled).toEqual([1]);
    tasks[2].settle(linkedAll(tasks[2].task));
    tasks[3].settle(linkedAll(tasks[3].task));
    await Promise.all(done);
    expect(settled).toEqual([1, 0, 2]);
    expect(tasks).toHaveLength(4);
  });

  it('a merged task that gave way settles the jobs it linked and sends the others again first', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new LinkQueue(pool, 1, new EpochPins(KernelArena.create()));
    const settled: number[] = [];
    const done = Array.from({ length: 6 }, (_, i) => queue.run({ index: 64, first: i, count: 1 }).then(() => settled.push(i)));
    tasks[0].settle(linkedAll(tasks[0].task));
    await turn();
    expect((tasks[2].task as Extract<PoolTask, { type: 'insert' }>).nodes).toEqual([2, 3]);
    // Node 2 linked, node 3 not: job 2 settles, job 3 goes first again (with job 4, an even share of three).
    tasks[2].settle({ ok: true, value: 1 });
    await turn();
    expect(settled).toEqual([0, 2]);
    expect((tasks[3].task as Extract<PoolTask, { type: 'insert' }>).nodes).toEqual([3, 4]);
    for (const t of tasks.slice(1)) if (t !== tasks[2]) t.settle(linkedAll(t.task));
    await turn();
    for (const t of tasks.slice(4)) t.settle(linkedAll(t.task));
    await Promise.all(done);
    expect(settled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('rejects a job with the typed error its task replied', async () => {
    const { pool, tasks } = recordingPool();
    const queue = new LinkQueue(pool, 1, new EpochPins(KernelArena.create()));
    const job = queue.run({ index: 64, first: 0, count: 1 });
    tasks[0].settle({ ok: false, error: { code: 'FEATHER_ERR_INTERNAL', message: 'bad node' } });
    await expect(job).rejects.toMatchObject({ code: 'FEATHER_ERR_INTERNAL', message: 'bad node' });
  });
});
