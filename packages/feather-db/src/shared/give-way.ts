// A pool task's loop over its nodes in a reader thread (an insert task linking them, a repair task re-linking
// the lists around a retiring set): it gives its thread up to a search that waits for one (main/reader-pool.ts
// counts them) after the node it is on, so that a build or a repair cannot hold searches behind whole tasks; and
// the rest of its nodes, which the facade sends again.

/** The nodes a task runs: `nodes` when given, else [first, first + count). */
export interface NodeRange {
  first: number;
  count: number;
  nodes?: number[];
}

/**
 * Runs `run` on the nodes of `range` in order, and stops once `searchWaits()` says a search task waits for a
 * thread, after at least one node (so the work goes on under any search load). Returns how many nodes ran: the
 * facade queues the rest again, first (main/link-queue.ts, main/maintenance.ts).
 */
export function eachNodeGivingWay(range: NodeRange, run: (node: number) => void, searchWaits: () => boolean): number {
  const { nodes, first, count } = range;
  let done = 0;
  if (count === 0) return 0;
  do {
    run(nodes === undefined ? first + done : nodes[done]!);
    done++;
  } while (done < count && !searchWaits());
  return done;
}

/** `range` without its first `done` nodes: what the facade sends again after a task gave way. */
export function restOf<R extends NodeRange>(range: R, done: number): R {
  const { first, count, nodes } = range;
  if (nodes === undefined) return { ...range, first: first + done, count: count - done };
  const rest = nodes.slice(done);
  return { ...range, first: rest[0]!, count: rest.length, nodes: rest };
}
