// Where each memory of a context chain is drawn: one ring per hop around the seeds, each node placed near
// the nodes that reached it, so edges stay short and rarely cross. Deterministic: the same chain, the same picture.
import type { MemoryId } from '../api/types.js';

export interface LayoutNode {
  id: MemoryId;
  hop: number;
  score: number;
}

export interface PlacedNode extends LayoutNode {
  x: number;
  y: number;
  /** Drawn radius: larger for higher scores. */
  r: number;
}

export interface Layout {
  nodes: PlacedNode[];
  /** The picture's size (viewBox 0 0 width height). */
  width: number;
  height: number;
}

const kRingGap = 110;
const kMargin = 70;
const kMinRadius = 9;
const kMaxRadius = 20;
/** Nodes of one ring keep at least this much arc between them; a crowded ring grows. */
const kMinArc = 2.4 * kMaxRadius;

const keyOf = (id: MemoryId): string => `${typeof id}:${String(id)}`;

/** The mean direction of some angles (radians), or undefined when there are none. */
function meanAngle(angles: readonly number[]): number | undefined {
  if (angles.length === 0) return undefined;
  const x = angles.reduce((s, a) => s + Math.cos(a), 0);
  const y = angles.reduce((s, a) => s + Math.sin(a), 0);
  return Math.atan2(y, x);
}

export function layoutChain(nodes: readonly LayoutNode[], edges: readonly { from: MemoryId; to: MemoryId }[]): Layout {
  const maxScore = Math.max(0, ...nodes.map((n) => n.score));
  const minScore = Math.min(maxScore, ...nodes.map((n) => n.score));
  const radiusOf = (score: number): number =>
    maxScore === minScore
      ? (kMinRadius + kMaxRadius) / 2
      : kMinRadius + ((kMaxRadius - kMinRadius) * (score - minScore)) / (maxScore - minScore);
  const neighbours = new Map<string, string[]>();
  for (const e of edges) {
    const [a, b] = [keyOf(e.from), keyOf(e.to)];
    neighbours.set(a, [...(neighbours.get(a) ?? []), b]);
    neighbours.set(b, [...(neighbours.get(b) ?? []), a]);
  }
  const hops = [...new Set(nodes.map((n) => n.hop))].sort((a, b) => a - b);
  const angle = new Map<string, number>();
  const ringRadius = new Map<number, number>();
  let radius = 0;
  for (const hop of hops) {
    // Highest score first, so ties in direction keep the better memory first.
    const ring = nodes.filter((n) => n.hop === hop).sort((a, b) => b.score - a.score || keyOf(a.id).localeCompare(keyOf(b.id)));
    const alone = ring.length === 1 && hop === hops[0];
    radius = alone ? 0 : Math.max(radius + (hop === hops[0] ? kRingGap * 0.6 : kRingGap), (ring.length * kMinArc) / (2 * Math.PI));
    ringRadius.set(hop, radius);
    const wanted = ring.map(
      (n, i) =>
        meanAngle((neighbours.get(keyOf(n.id)) ?? []).flatMap((k) => (angle.has(k) ? [angle.get(k)!] : []))) ??
        -Math.PI / 2 + (2 * Math.PI * i) / ring.length,
    );
    const order = ring.map((_, i) => i).sort((a, b) => wanted[a]! - wanted[b]! || a - b);
    // Evenly spaced in the wanted order, turned so the first lands on its wanted direction.
    const step = (2 * Math.PI) / ring.length;
    const start = wanted[order[0]!]!;
    order.forEach((nodeIndex, slot) => angle.set(keyOf(ring[nodeIndex]!.id), start + slot * step));
  }
  const placed = nodes.map((n) => {
    const a = angle.get(keyOf(n.id)) ?? 0;
    const rr = ringRadius.get(n.hop) ?? 0;
    return { ...n, x: rr * Math.cos(a), y: rr * Math.sin(a), r: radiusOf(n.score) };
  });
  // The picture is the nodes' bounding box plus room for labels, not the whole circle of the outer ring.
  const pad = kMargin + kMaxRadius;
  const minX = Math.min(0, ...placed.map((n) => n.x));
  const minY = Math.min(0, ...placed.map((n) => n.y));
  const maxX = Math.max(0, ...placed.map((n) => n.x));
  const maxY = Math.max(0, ...placed.map((n) => n.y));
  for (const n of placed) {
    n.x += pad - minX;
    n.y += pad - minY;
  }
  return { nodes: placed, width: maxX - minX + 2 * pad, height: maxY - minY + 2 * pad };
}
