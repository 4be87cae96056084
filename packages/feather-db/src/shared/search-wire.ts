// A search task and its replies as they cross between the facade and a reader thread. Structured clone writes
// every property name of every object it copies, so a task of ten query objects cost the main thread ~4 µs a
// query to post, and ten replies of two typed arrays each (a backing store apiece) ~10 µs a query to read, a
// third of what a search under load costs that thread. Packed, a query is eight numbers and a reply is its
// share of one buffer; what the queries share (the slabs their vectors are views of, their plans, their cancel
// flags) crosses once per task.
import type { SearchPlan, WireError } from '@feather-db/core';
import type { Reply, SearchQuery } from '../protocol.js';
import type { SearchOutcome } from './search-one.js';

/** A search task as posted: per query kFields numbers, indexing the lists that follow. */
export interface SearchTask {
  type: 'search';
  /** Per query: buffer, byte offset, length (of its vector), slot, k, ef, plan, cancel flag (-1: none). */
  nums: number[];
  /** The buffers the query vectors are views of (shared ones are shared, not copied). */
  buffers: ArrayBufferLike[];
  plans: SearchPlan[];
  cancels: Int32Array[];
}

/** One query's answer: rows and kernel distances, ascending, and how long it ran in its thread (ms). */
export type SearchAnswer = SearchOutcome & { ms: number };

/**
 * A search task's answers, in query order: `data` holds each of the `n` queries' time (f64) and row count
 * (u32), then every query's rows (u32), then every query's distances (f32). `errors[i]` is set for a query that
 * failed (its count is 0).
 */
export interface SearchReplies {
  n: number;
  data: ArrayBuffer;
  errors: (WireError | null)[] | undefined;
}

const kFields = 8;

/** The index of `item` in `list` by identity, appended when missing (a task's lists hold a few entries). */
function indexIn<T>(list: T[], item: T): number {
  const at = list.indexOf(item);
  return at >= 0 ? at : list.push(item) - 1;
}

export function packSearches(queries: readonly SearchQuery[]): SearchTask {
  const task: SearchTask = { type: 'search', nums: new Array<number>(queries.length * kFields), buffers: [], plans: [], cancels: [] };
  const { nums } = task;
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i]!;
    const at = i * kFields;
    // A vector over a buffer of its own gets a copy of just itself (an ArrayBuffer would be cloned whole).
    const own = q.vector.buffer instanceof SharedArrayBuffer;
    nums[at] = indexIn(task.buffers, own ? q.vector.buffer : q.vector.slice().buffer);
    nums[at + 1] = own ? q.vector.byteOffset : 0;
    nums[at + 2] = q.vector.length;
    nums[at + 3] = q.slot;
    nums[at + 4] = q.k;
    nums[at + 5] = q.ef;
    nums[at + 6] = indexIn(task.plans, q.plan);
    nums[at + 7] = q.cancel === undefined ? -1 : indexIn(task.cancels, q.cancel);
  }
  return task;
}

export function unpackSearches(task: SearchTask): SearchQuery[] {
  const { nums } = task;
  const queries: SearchQuery[] = [];
  for (let at = 0; at < nums.length; at += kFields) {
    const cancel = nums[at + 7]!;
    queries.push({
      vector: new Float32Array(task.buffers[nums[at]!]!, nums[at + 1], nums[at + 2]),
      slot: nums[at + 3]!,
      k: nums[at + 4]!,
      ef: nums[at + 5]!,
      plan: task.plans[nums[at + 6]!]!,
      cancel: cancel < 0 ? undefined : task.cancels[cancel],
    });
  }
  return queries;
}

export function packReplies(replies: readonly Reply<SearchAnswer>[]): SearchReplies {
  const n = replies.length;
  let hits = 0;
  for (const r of replies) if (r.ok) hits += r.value.rows.length;
  const data = new ArrayBuffer(n * 12 + hits * 8);
  const ms = new Float64Array(data, 0, n);
  const counts = new Uint32Array(data, n * 8, n);
  const rows = new Uint32Array(data, n * 12, hits);
  const distances = new Float32Array(data, n * 12 + hits * 4, hits);
  let errors: (WireError | null)[] | undefined;
  let at = 0;
  replies.forEach((r, i) => {
    if (!r.ok) {
      (errors ??= new Array<WireError | null>(n).fill(null))[i] = r.error;
      return;
    }
    ms[i] = r.value.ms;
    counts[i] = r.value.rows.length;
    rows.set(r.value.rows, at);
    distances.set(r.value.distances, at);
    at += r.value.rows.length;
  });
  return { n, data, errors };
}

/** Each query's reply; its rows and distances are views of the one buffer. */
export function unpackReplies(replies: SearchReplies): Reply<SearchAnswer>[] {
  const { n, data, errors } = replies;
  const ms = new Float64Array(data, 0, n);
  const counts = new Uint32Array(data, n * 8, n);
  const hits = (data.byteLength - n * 12) / 8;
  const out: Reply<SearchAnswer>[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const error = errors?.[i];
    if (error !== undefined && error !== null) {
      out.push({ ok: false, error });
      continue;
    }
    const count = counts[i]!;
    out.push({
      ok: true,
      value: {
        rows: new Uint32Array(data, n * 12 + at * 4, count),
        distances: new Float32Array(data, n * 12 + (hits + at) * 4, count),
        ms: ms[i]!,
      },
    });
    at += count;
  }
  return out;
}
