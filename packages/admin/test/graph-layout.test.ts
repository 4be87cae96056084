import { describe, expect, it } from 'vitest';
import { layoutChain, type LayoutNode } from '../src/lib/graph-layout.js';

const node = (id: string | number, hop: number, score: number): LayoutNode => ({ id, hop, score });

describe('layoutChain', () => {
  it('one seed sits in the middle of its picture', () => {
    const { nodes, width, height } = layoutChain([node('a', 0, 1)], []);
    expect(nodes[0].x).toBeCloseTo(width / 2, 9);
    expect(nodes[0].y).toBeCloseTo(height / 2, 9);
  });

  it('places every node inside the picture, apart from each other, hop rings growing outwards', () => {
    const nodes = [
      node('s1', 0, 0.9),
      node('s2', 0, 0.8),
      node(1, 0, 0.7),
      node('a', 1, 0.4),
      node('b', 1, 0.3),
      node('c', 2, 0.1),
      ...Array.from({ length: 30 }, (_, i) => node(`x${i}`, 2, 0.05)),
    ];
    const edges = [
      { from: 's1', to: 'a' },
      { from: 'b', to: 's2' },
      { from: 'a', to: 'c' },
      ...Array.from({ length: 30 }, (_, i) => ({ from: i % 2 === 0 ? 'a' : 'b', to: `x${i}` })),
    ];
    const layout = layoutChain(nodes, edges);
    expect(layout.nodes.map((n) => n.id)).toEqual(nodes.map((n) => n.id));
    for (const n of layout.nodes) {
      expect(n.x - n.r).toBeGreaterThanOrEqual(0);
      expect(n.y - n.r).toBeGreaterThanOrEqual(0);
      expect(n.x + n.r).toBeLessThanOrEqual(layout.width);
      expect(n.y + n.r).toBeLessThanOrEqual(layout.height);
    }
    for (const a of layout.nodes)
      for (const b of layout.nodes) if (a !== b) expect(Math.hypot(a.x - b.x, a.y - b.y), `${a.id} ${b.id}`).toBeGreaterThan(a.r + b.r);
    // The centre is the seeds' ring's centre: distance grows with the hop.
    const seeds = layout.nodes.filter((n) => n.hop === 0);
    const cx = seeds.reduce((s, n) => s + n.x, 0) / seeds.length;
    const cy = seeds.reduce((s, n) => s + n.y, 0) / seeds.length;
    const dist = (hop: number): number[] => layout.nodes.filter((n) => n.hop === hop).map((n) => Math.hypot(n.x - cx, n.y - cy));
    expect(Math.min(...dist(1))).toBeGreaterThan(Math.max(...dist(0)));
    expect(Math.min(...dist(2))).toBeGreaterThan(Math.max(...dist(1)));
    // Higher scores are drawn larger.
    expect(layout.nodes[0].r).toBeGreaterThan(layout.nodes.at(-1)!.r);
  });

  it('is deterministic, keeps integer and string ids apart, and puts a node near the one that reached it', () => {
    const nodes = [node('s1', 0, 0.9), node('s2', 0, 0.8), node('s3', 0, 0.7), node(1, 1, 0.3), node('1', 1, 0.2)];
    const edges = [
      { from: 's1', to: 1 },
      { from: 's3', to: '1' },
    ];
    const first = layoutChain(nodes, edges);
    expect(layoutChain(nodes, edges)).toEqual(first);
    const at = (id: string | number) => first.nodes.find((n) => n.id === id)!;
    const d = (a: string | number, b: string | number): number => Math.hypot(at(a).x - at(b).x, at(a).y - at(b).y);
    expect(d(1, 's1')).toBeLessThan(d(1, 's3'));
    expect(d('1', 's3')).toBeLessThan(d('1', 's1'));
  });
});
