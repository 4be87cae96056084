// One search against a thread's handles on the shared memory: what a pool thread runs for each query of a
// task, and what the facade runs itself when a search is small and the pool idle (main/search-runner.ts).
import type { SearchResult } from '@feather-db/core';
import type { SearchQuery } from '../protocol.js';
import type { AttachCache } from './attach-cache.js';

/** Rows and kernel distances of one search, ascending by distance. */
export interface SearchOutcome {
  rows: Uint32Array;
  distances: Float32Array;
}

/** Runs `q` as planned (an exact scan of listed rows, or a filtered graph traversal) on the modality's current index. */
export function searchOne(handles: AttachCache, q: SearchQuery): SearchOutcome {
  const { index, rows } = handles.current(q.slot);
  let result: SearchResult;
  switch (q.plan.kind) {
    case 'empty':
      return { rows: new Uint32Array(0), distances: new Float32Array(0) };
    case 'scan':
      result = index.scanNodes(q.vector, q.k, rows.nodesOf(q.plan.rows));
      break;
    case 'graph':
      result = index.search(q.vector, q.k, {
        ef: q.ef,
        filter: { namespace: q.plan.namespace, entity: q.plan.entity, rows: q.plan.bitmap },
      });
      break;
  }
  return { rows: result.rows, distances: result.distances };
}
