// From the pool's answer to what search() and contextChain() return: candidates scored (similarity, or the
// time-decayed score), the best k kept, then turned into records. Rows stay rows until the end, so the
// callers get them beside the hits (vectors, chain seeds, recall tracking) instead of looking ids up again.
import { decayedScore, expandChain, similarityOf, type Edge, type MemoryModel, type MemoryRecord, type Metric } from '@feather-db/core';
import type { ChainHit, SearchHit } from '../api.js';
import type { ResolvedSearch } from './search-options.js';
import type { SearchOutcome } from '../shared/search-one.js';

/** Hits, best first, and the record row of each. */
export interface RankedHits {
  hits: SearchHit[];
  rows: number[];
}

/** How many candidates a search asks the pool for: decayed scoring re-ranks the whole pool, not the top k. */
export function candidatesWanted(s: Pick<ResolvedSearch, 'k' | 'ef' | 'decay'>): number {
  return s.decay === undefined ? s.k : Math.max(s.k, s.ef);
}

/**
 * Scores the pool's candidates (rows with kernel distances, ascending) and keeps the best `s.k`. A row
 * forgotten after the search started is skipped: results follow the acknowledged state. Scored from the
 * scoring fields alone; only the rows kept become records (a record decodes its text).
 */
export function rankHits(
  model: MemoryModel,
  metric: Metric,
  found: SearchOutcome,
  s: Pick<ResolvedSearch, 'k' | 'decay' | 'now'>,
): RankedHits {
  const { rows, distances } = found;
  const scored: { row: number; score: number; similarity: number }[] = [];
  for (let i = 0; i < rows.length; i++) {
    const fields = model.scoringFields(rows[i]!);
    if (fields === undefined) continue;
    const similarity = similarityOf(metric, distances[i]!);
    scored.push({
      row: rows[i]!,
      score: s.decay === undefined ? similarity : decayedScore(similarity, fields, s.now, s.decay),
      similarity,
    });
  }
  if (s.decay !== undefined) scored.sort((a, b) => b.score - a.score);
  if (scored.length > s.k) scored.length = s.k;
  return { hits: scored.map(({ row, score, similarity }) => hitOf(model.record(row)!, score, similarity)), rows: scored.map((x) => x.row) };
}

/**
 * A record's fields but its modalities, written out field by field: `{ ...record, score }` took ~3 µs per hit
 * (a slow path of object spread), a tenth of a small search. Export rows start from it too.
 */
export function recordFields(r: MemoryRecord): Omit<MemoryRecord, 'modalities'> {
  return {
    id: r.id,
    text: r.text,
    namespace: r.namespace,
    entity: r.entity,
    importance: r.importance,
    attributes: r.attributes,
    timestamp: r.timestamp,
    recallCount: r.recallCount,
    lastRecalled: r.lastRecalled,
  };
}

/** A hit: the record's fields, then its modalities and score (assigned, not spread). */
function hitOf(r: MemoryRecord, score: number, similarity: number): SearchHit {
  return Object.assign(recordFields(r), { modalities: r.modalities, score, similarity });
}

/** The context chain grown from `seeds` over `hops` (see expandChain), as records, with each node's row. */
export function chainFrom(
  model: MemoryModel,
  seeds: RankedHits,
  hops: number,
  namespace: string | undefined,
): { nodes: ChainHit[]; edges: Edge[]; rows: number[] } {
  const chain = expandChain(
    model,
    seeds.rows.map((row, i) => ({ row, similarity: seeds.hits[i]!.similarity })),
    hops,
    namespace,
  );
  const nodes: ChainHit[] = chain.nodes.map((n) => ({ ...model.record(n.row)!, hop: n.hop, score: n.score, similarity: n.similarity }));
  return { nodes, edges: chain.edges, rows: chain.nodes.map((n) => n.row) };
}
