// The context graph of the memory model: typed, weighted, directed edges between rows, indexed both ways.
import { corrupt, isFiniteNumber, type SnapshotEdge } from './snapshot.js';

export interface StoredEdge {
  from: number;
  to: number;
  type: string;
  weight: number;
}

const kNone: readonly StoredEdge[] = [];

export class EdgeStore {
  readonly #out = new Map<number, StoredEdge[]>();
  readonly #in = new Map<number, StoredEdge[]>();

  outgoing(row: number): readonly StoredEdge[] {
    return this.#out.get(row) ?? kNone;
  }

  incoming(row: number): readonly StoredEdge[] {
    return this.#in.get(row) ?? kNone;
  }

  /** Adds an edge, or re-weights the existing edge of the same type between the same two rows. */
  link(a: number, b: number, type: string, weight: number): void {
    const out = this.#out.get(a) ?? [];
    const existing = out.find((e) => e.to === b && e.type === type);
    if (existing !== undefined) {
      existing.weight = weight;
      return;
    }
    const edge = { from: a, to: b, type, weight };
    out.push(edge);
    this.#out.set(a, out);
    const incoming = this.#in.get(b) ?? [];
    incoming.push(edge);
    this.#in.set(b, incoming);
  }

  /** Removes the edges from row `a` to row `b` of `type` (every type when null); returns how many. */
  unlink(a: number, b: number, type: string | null): number {
    const doomed = (this.#out.get(a) ?? []).filter((e) => e.to === b && (type === null || e.type === type));
    for (const e of doomed) {
      removeEdge(this.#out, a, e);
      removeEdge(this.#in, b, e);
    }
    return doomed.length;
  }

  /** Removes every edge touching `row`. */
  drop(row: number): void {
    for (const e of this.#out.get(row) ?? []) removeEdge(this.#in, e.to, e);
    for (const e of this.#in.get(row) ?? []) removeEdge(this.#out, e.from, e);
    this.#out.delete(row);
    this.#in.delete(row);
  }

  /** Every edge as [from row, to row, type, weight], by source row (the EDGES section). */
  list(): SnapshotEdge[] {
    const edges: SnapshotEdge[] = [];
    for (const [from, list] of [...this.#out].sort((a, b) => a[0] - b[0])) for (const e of list) edges.push([from, e.to, e.type, e.weight]);
    return edges;
  }

  /**
   * Adds the edges of a decoded EDGES section, checking each (both ends live rows).
   * @throws FEATHER_ERR_CORRUPT naming the first bad edge.
   */
  load(value: unknown, isLive: (row: number) => boolean): void {
    if (!Array.isArray(value)) throw corrupt('edges', 'not an array');
    (value as unknown[]).forEach((e, i) => {
      const ok =
        Array.isArray(e) &&
        e.length === 4 &&
        Number.isInteger(e[0]) &&
        Number.isInteger(e[1]) &&
        typeof e[2] === 'string' &&
        isFiniteNumber(e[3]) &&
        e[3] >= 0;
      if (!ok) throw corrupt(`edges[${i}]`, 'not a valid edge');
      const [from, to, type, weight] = e as SnapshotEdge;
      if (!isLive(from) || !isLive(to)) throw corrupt(`edges[${i}]`, 'an edge end is not a live row');
      this.link(from, to, type, weight);
    });
  }
}

function removeEdge(index: Map<number, StoredEdge[]>, row: number, edge: StoredEdge): void {
  const list = index.get(row);
  if (list === undefined) return;
  const i = list.indexOf(edge);
  if (i >= 0) list.splice(i, 1);
  if (list.length === 0) index.delete(row);
}
