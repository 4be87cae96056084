// The packed form of a search task and its replies (shared/search-wire.ts): what the reader thread reads is
// what the facade queued, and what the facade reads is what the thread answered, through a real structured
// clone (a MessageChannel), as a task crosses to a reader thread.
import { describe, expect, it } from 'vitest';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { SearchQuery } from '../src/protocol.js';
import { packReplies, packSearches, unpackReplies, unpackSearches, type SearchAnswer } from '../src/shared/search-wire.js';
import type { Reply } from '../src/protocol.js';

/** `value` after a structured clone, as postMessage delivers it. */
function cloned<T>(value: T): T {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(value);
  const got = receiveMessageOnPort(port2)!.message as T;
  port1.close();
  return got;
}

describe('search wire', () => {
  it('carries every field of every query; vectors of a shared slab stay views of it, others are copied', () => {
    const slab = new SharedArrayBuffer(64);
    const graph = { kind: 'graph' } as const;
    const scoped = { kind: 'graph', namespace: 2, entity: 5, bitmap: Uint8Array.of(0b101) } as const;
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const queries: SearchQuery[] = [
      { vector: new Float32Array(slab, 0, 3).fill(1.5), slot: 7, k: 10, ef: 64, plan: graph },
      { vector: new Float32Array(slab, 12, 3).fill(-2), slot: 7, k: 3, ef: 16, plan: scoped, cancel },
      { vector: Float32Array.of(9, 8, 7, 6, 5).subarray(1, 4), slot: 1, k: 1, ef: 1, plan: { kind: 'scan', rows: Uint32Array.of(4, 2) } },
      { vector: new Float32Array(slab, 24, 3).fill(0.25), slot: 7, k: 10, ef: 64, plan: graph, cancel },
    ];
    const task = cloned(packSearches(queries));
    // What the queries share crosses once.
    expect(task.buffers).toHaveLength(2);
    expect(task.plans).toHaveLength(3);
    expect(task.cancels).toHaveLength(1);
    const got = unpackSearches(task);
    expect(got).toEqual(queries.map((q) => ({ ...q, cancel: q.cancel })));
    expect(got[0].vector.buffer).toBeInstanceOf(SharedArrayBuffer);
    // A shared slab is the same memory on the other side; so is a cancel flag.
    new Float32Array(slab, 0, 1)[0] = 42;
    expect(got[0].vector[0]).toBe(42);
    Atomics.store(cancel, 0, 1);
    expect(Atomics.load(got[3].cancel!, 0)).toBe(1);
    expect(got[1].cancel).toBe(got[3].cancel);
  });

  it('answers each query in order with its rows, distances and time, and its own error for a failed one', () => {
    const replies: Reply<SearchAnswer>[] = [
      { ok: true, value: { rows: Uint32Array.of(5, 1, 9), distances: Float32Array.of(0.5, 0.75, 2), ms: 0.125 } },
      { ok: false, error: { code: 'FEATHER_ERR_ABORTED', message: 'the search was aborted before it started' } },
      { ok: true, value: { rows: new Uint32Array(0), distances: new Float32Array(0), ms: 3 } },
      { ok: true, value: { rows: Uint32Array.of(4_000_000_000), distances: Float32Array.of(-1), ms: 0 } },
    ];
    const got = unpackReplies(cloned(packReplies(replies)));
    expect(got).toEqual(replies);
    // Without failures no error list crosses.
    const plain = packReplies([replies[0], replies[3]]);
    expect(plain.errors).toBeUndefined();
    expect(unpackReplies(cloned(plain))).toEqual([replies[0], replies[3]]);
    expect(unpackReplies(cloned(packReplies([])))).toEqual([]);
  });
});
