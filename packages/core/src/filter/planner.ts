import type { MemoryModel } from '../records/memory-model.js';
import type { Attributes } from '../records/types.js';

/**
 * How a scoped or filtered search runs:
 * - `empty`: nothing can match (unknown namespace, entity or attribute value).
 * - `scan`: an exact scan of the listed rows, when the matching set is small.
 * - `graph`: HNSW traversal that routes through every node but admits only nodes whose tags (namespace,
 *   entity) match and, with an attribute filter, whose row is set in `bitmap`.
 */
export type SearchPlan =
  { kind: 'empty' } | { kind: 'scan'; rows: Uint32Array } | { kind: 'graph'; namespace?: number; entity?: number; bitmap?: Uint8Array };

export interface PlanRequest {
  modality: string;
  /** The search's candidate list size. */
  ef: number;
  namespace?: string;
  entity?: string;
  filter?: Attributes;
}

/**
 * The planner's rule (docs/architecture.md, "Filtered search"):
 * 1. The candidate base is the smallest of the scope's rows and the filter pairs' posting lists.
 * 2. When the base holds at most kExactBase rows, the exact matching set M (|M| = m of the modality's N
 *    memories) is computed. A filtered traversal must collect `ef` matches, so it visits about ef·N/m nodes
 *    and computes ~kTraversalFanout distances per visit; an exact scan computes m. The planner scans when
 *    m <= kTraversalFanout · ef · N / m, i.e. m² <= kTraversalFanout · ef · N: at N = 331k and ef = 128
 *    that is up to ~20.6k rows (6%); at N = 20k, up to ~5k rows (25%). Scans are exact.
 * 3. Otherwise it traverses the graph with the filter applied to results (tags for namespace and entity, a
 *    row bitmap for attributes), keeping `ef` matching candidates, which holds recall near the unfiltered level.
 */
const kExactBase: number = 65_536;
/** The plan of every unscoped, unfiltered search: one object, so a task of many such searches posts it once. */
const kWholeGraph: SearchPlan = Object.freeze({ kind: 'graph' });
const kTraversalFanout: number = 10;

export class SearchPlanner {
  readonly #model: MemoryModel;
  /** Bitmaps of recent attribute filters, valid while the model version is unchanged. */
  #cache = new Map<string, SearchPlan>();
  #cacheVersion = -1;

  constructor(model: MemoryModel) {
    this.#model = model;
  }

  plan(request: PlanRequest): SearchPlan {
    const model = this.#model;
    const hasFilter = request.filter !== undefined && Object.keys(request.filter).length > 0;
    if (request.namespace === undefined && request.entity === undefined && !hasFilter) return kWholeGraph;
    const namespace = request.namespace === undefined ? undefined : model.namespaceId(request.namespace);
    const entity = request.entity === undefined ? undefined : model.entityId(request.entity);
    if ((request.namespace !== undefined && namespace === undefined) || (request.entity !== undefined && entity === undefined))
      return { kind: 'empty' };
    if (model.version !== this.#cacheVersion) {
      this.#cache.clear();
      this.#cacheVersion = model.version;
    }
    const key = `${request.modality}\u0000${request.ef}\u0000${namespace}\u0000${entity}\u0000${hasFilter ? JSON.stringify(request.filter) : ''}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const plan = this.#planUncached(request, namespace, entity, hasFilter ? request.filter! : undefined);
    if (this.#cache.size >= 64) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(key, plan);
    return plan;
  }

  #planUncached(
    request: PlanRequest,
    namespace: number | undefined,
    entity: number | undefined,
    filter: Attributes | undefined,
  ): SearchPlan {
    const model = this.#model;
    const scoped = namespace !== undefined || entity !== undefined;
    // A namespace's size is counted without its rows (MemoryModel.namespaceSize): a large one searched without
    // a filter traverses the graph on its tag and needs no set of its rows. Building that set (and, the first
    // time, the grouping of every row it comes from) held the event loop ~0.3 µs a row: 48 ms for a first
    // search of a 100k-row namespace in a 300k store, 35 ms for the next namespace's 200k.
    if (namespace !== undefined && entity === undefined && filter === undefined) {
      const size = model.namespaceSize(namespace);
      if (size === 0) return { kind: 'empty' };
      if (size > kExactBase) return { kind: 'graph', namespace, entity };
    }
    const scope = scoped ? model.scopeRows(namespace, entity) : undefined;
    const sets: ReadonlySet<number>[] = scope === undefined ? [] : [scope];
    if (filter !== undefined) for (const key in filter) sets.push(model.postings(key, filter[key]));
    let base = sets[0];
    for (const s of sets) if (s.size < base.size) base = s;
    if (base.size === 0) return { kind: 'empty' };
    const check = (row: number): boolean => (filter === undefined || model.matches(row, filter)) && (scope === undefined || scope.has(row));
    const tags = { namespace, entity };
    const total = Math.max(1, model.modalityCount(request.modality));
    if (base.size > kExactBase) {
      if (filter === undefined) return { kind: 'graph', ...tags };
      return { kind: 'graph', ...tags, bitmap: toBitmap(base, check, model.rowLimit) };
    }
    const rows: number[] = [];
    for (const row of base) if (check(row)) rows.push(row);
    if (rows.length === 0) return { kind: 'empty' };
    if (rows.length * rows.length <= kTraversalFanout * request.ef * total) {
      return { kind: 'scan', rows: Uint32Array.from(rows).sort() };
    }
    if (filter === undefined) return { kind: 'graph', ...tags };
    return { kind: 'graph', ...tags, bitmap: toBitmap(rows, () => true, model.rowLimit) };
  }
}

function toBitmap(rows: Iterable<number>, keep: (row: number) => boolean, limit: number): Uint8Array {
  const bitmap = new Uint8Array((limit + 7) >>> 3);
  for (const row of rows) if (keep(row)) bitmap[row >>> 3] |= 1 << (row & 7);
  return bitmap;
}
