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
 * forgotten after the search started is skipped: results follow the acknowledged state. Without decay the
 * candidates are in rank order already, and only the first k live ones become records; with it, every one is
 * scored from the scoring fields alone and sorted, and only the rows kept become records (a record decodes
 * its text).
 */
export function rankHits(
  model: MemoryModel,
  metric: Metric,
  found: SearchOutcome,
  s: Pick<ResolvedSearch, 'k' | 'decay' | 'now'>,
): RankedHits {
  const { rows, distances } = found;
  const hits: SearchHit[] = [];
  const kept: number[] = [];
  if (s.decay === undefined) {
    for (let i = 0; i < rows.length && hits.length < s.k; i++) {
      const similarity = similarityOf(metric, distances[i]!);
      const hit = hitOf(model, rows[i]!, similarity, similarity);
      if (hit === undefined) continue;
      hits.push(hit);
      kept.push(rows[i]!);
    }
    return { hits, rows: kept };
  }
  const scored: { row: number; score: number; similarity: number }[] = [];
  for (let i = 0; i < rows.length; i++) {
    const fields = model.scoringFields(rows[i]!);
    if (fields === undefined) continue;
    const similarity = similarityOf(metric, distances[i]!);
    scored.push({ row: rows[i]!, score: decayedScore(similarity, fields, s.now, s.decay), similarity });
  }
  scored.sort((a, b) => b.score - a.score);
  for (const { row, score, similarity } of scored.slice(0, s.k)) {
    hits.push(hitOf(model, row, score, similarity)!);
    kept.push(row);
  }
  return { hits, rows: kept };
}

/** A record's fields but its modalities, written out field by field (object spread takes a slow path): export rows. */
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

/**
 * Live row `row` as a hit: its record (a fresh object), then score and similarity assigned to it (neither
 * spread nor copied: `{ ...record, score }` took ~3 µs per hit, a tenth of a small search); undefined for a
 * row no longer live.
 */
function hitOf(model: MemoryModel, row: number, score: number, similarity: number): SearchHit | undefined {
  const hit = model.record(row) as SearchHit | undefined;
  if (hit === undefined) return undefined;
  hit.score = score;
  hit.similarity = similarity;
  return hit;
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
