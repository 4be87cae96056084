// A context chain as a node-link picture: seeds in the middle, one ring per hop, edges as arrows labelled by
// type. Every node is a link to its record, so the picture is usable by keyboard (Tab moves node to node).
import type { ChainNode, Edge } from '../api/types.js';
import { formatId, formatScore, truncate } from '../lib/format.js';
import { layoutChain, type PlacedNode } from '../lib/graph-layout.js';
import { href } from '../lib/use-route.js';

const keyOf = (id: string | number): string => `${typeof id}:${String(id)}`;

/** An edge between two memories of the chain; `walked` when the chain followed it to reach a memory. */
export interface ChainEdge extends Edge {
  walked: boolean;
}

/** The point on the rim of `to`'s circle along the line from `from`, so arrowheads touch the circle. */
function rim(from: PlacedNode, to: PlacedNode, pad: number): { x: number; y: number } {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const d = Math.hypot(dx, dy) || 1;
  return { x: to.x - (dx / d) * (to.r + pad), y: to.y - (dy / d) * (to.r + pad) };
}

export function ChainGraph({
  chain,
  ns,
  focusId,
}: {
  chain: { nodes: ChainNode[]; edges: ChainEdge[] };
  ns: string;
  focusId?: string | number;
}) {
  const layout = layoutChain(chain.nodes, chain.edges);
  const byKey = new Map(layout.nodes.map((n) => [keyOf(n.id), n]));
  const records = new Map(chain.nodes.map((n) => [keyOf(n.id), n]));
  const hops = Math.max(0, ...chain.nodes.map((n) => n.hop));
  return (
    <figure class="graph">
      {/* Drawn at most a little larger than its own size: a small chain stays small. */}
      <svg
        viewBox={`0 0 ${layout.width.toFixed(0)} ${layout.height.toFixed(0)}`}
        role="group"
        aria-labelledby="graph-caption"
        style={{ maxWidth: `${Math.round(layout.width * 1.25)}px` }}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M0 0L10 5L0 10z" class="arrowhead" />
          </marker>
        </defs>
        <g class="edges" aria-hidden="true">
          {chain.edges.map((e) => {
            const from = byKey.get(keyOf(e.from));
            const to = byKey.get(keyOf(e.to));
            if (from === undefined || to === undefined) return null;
            const end = rim(from, to, 2);
            const start = rim(to, from, 0);
            return (
              <g key={`${keyOf(e.from)}>${keyOf(e.to)}:${e.type}`}>
                <line
                  x1={start.x}
                  y1={start.y}
                  x2={end.x}
                  y2={end.y}
                  marker-end="url(#arrow)"
                  stroke-width={1 + Math.min(3, e.weight)}
                  class={e.walked ? 'walked' : 'other'}
                />
                <text x={(start.x + end.x) / 2} y={(start.y + end.y) / 2 - 4} class="edge-label">
                  {e.type}
                </text>
              </g>
            );
          })}
        </g>
        <g class="nodes">
          {layout.nodes.map((n) => {
            const record = records.get(keyOf(n.id))!;
            const label = `${formatId(n.id)}: ${truncate(record.text, 60)} (hop ${n.hop}, score ${formatScore(n.score)})`;
            const focused = focusId !== undefined && keyOf(focusId) === keyOf(n.id);
            return (
              <a
                key={keyOf(n.id)}
                href={href({ view: 'record', ns, id: n.id })}
                aria-label={label}
                class={`node hop-${Math.min(n.hop, 3)}${focused ? ' focus-node' : ''}`}
              >
                <title>{label}</title>
                <circle cx={n.x} cy={n.y} r={n.r} />
                <text x={n.x} y={n.y + n.r + 14} class="node-label">
                  {truncate(formatId(n.id), 18)}
                </text>
              </a>
            );
          })}
        </g>
      </svg>
      <figcaption id="graph-caption">
        {chain.nodes.length} memories and {chain.edges.length} edges between them ({chain.edges.filter((e) => e.walked).length} walked by
        the chain, solid; the others dashed);{' '}
        {hops === 0 ? 'seeds only (no edge led further)' : `seeds in the middle, then one ring per hop (up to ${hops})`}. Larger circles
        score higher. Each node links to its memory.
      </figcaption>
      <ul class="legend">
        {[0, 1, 2, 3]
          .filter((h) => h <= hops)
          .map((h) => (
            <li key={h}>
              <span class={`swatch hop-${h}`} aria-hidden="true" />
              {h === 0 ? 'seed (hop 0)' : h === 3 ? 'hop 3 or more' : `hop ${h}`}
            </li>
          ))}
      </ul>
    </figure>
  );
}
