// An insert task's loop in a reader thread: it links its nodes in order and gives its thread up to a search
// that waits for one (main/reader-pool.ts counts them), after at least one node, so that a build cannot hold
// searches behind whole tasks.
import type { InsertJob } from '../protocol.js';

/**
 * Links the nodes of `job` in order with `link`, and stops once `searchWaits()` says a search task waits for
 * a thread, after at least one node (so a build goes on under any search load). Returns how many were linked:
 * the facade queues the rest again (main/link-queue.ts).
 */
export function linkNodes(job: InsertJob, link: (node: number) => void, searchWaits: () => boolean): number {
  const { nodes, first, count } = job;
  let linked = 0;
  if (count === 0) return 0;
  do {
    link(nodes === undefined ? first + linked : nodes[linked]!);
    linked++;
  } while (linked < count && !searchWaits());
  return linked;
}
