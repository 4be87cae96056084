import type { MemoryModel } from '../records/memory-model.js';
import type { Edge } from '../records/types.js';
import { stickiness } from '../scoring/score.js';

/** Score multiplier per hop away from the seeds. */
const kHopDecay = 0.5;

interface ChainNode {
  row: number;
  hop: number;
  score: number;
  /** The seed's vector similarity (hop 0 only), else null. */
  similarity: number | null;
}

export interface ChainResult {
  nodes: ChainNode[];
  /** Edges walked to reach nodes at hop >= 1, in discovery order. */
  edges: Edge[];
}

/**
 * Breadth-first expansion of vector-search seeds over outgoing and incoming edges, up to `hops`.
 * Seeds score their similarity. A node first reached at hop h scores the best, over its parents at hop h - 1
 * and the edges from them, of parent score · kHopDecay · edge weight · importance · stickiness (so scores decay
 * with h, and important, often-recalled memories rank higher). With `namespace`, the walk never leaves it.
 * Nodes come back sorted by score, then hop, then row.
 */
export function expandChain(
  model: MemoryModel,
  seeds: readonly { row: number; similarity: number }[],
  hops: number,
  namespace?: string,
): ChainResult {
  const found = new Map<number, ChainNode>();
  const edges: Edge[] = [];
  let layer: ChainNode[] = [];
  for (const seed of seeds) {
    if (found.has(seed.row) || model.record(seed.row) === undefined) continue;
    const node = { row: seed.row, hop: 0, score: seed.similarity, similarity: seed.similarity };
    found.set(seed.row, node);
    layer.push(node);
  }
  for (let hop = 1; hop <= hops && layer.length > 0; hop++) {
    const next = new Map<number, ChainNode>();
    for (const parent of layer) {
      for (const { row, edge } of model.neighbours(parent.row)) {
        if (found.has(row)) continue;
        if (namespace !== undefined && model.namespaceOfRow(row) !== namespace) continue;
        const fields = model.scoringFields(row)!;
        const score = parent.score * kHopDecay * edge.weight * fields.importance * stickiness(fields.recallCount);
        const current = next.get(row);
        if (current === undefined) next.set(row, { row, hop, score, similarity: null });
        else if (score > current.score) current.score = score;
        edges.push(edge);
      }
    }
    for (const [row, node] of next) found.set(row, node);
    layer = [...next.values()];
  }
  const nodes = [...found.values()].sort((a, b) => b.score - a.score || a.hop - b.hop || a.row - b.row);
  return { nodes, edges };
}
