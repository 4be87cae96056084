/** Metric names as the engine spells them. */
export type OracleMetric = 'cosine' | 'l2' | 'ip';

/**
 * Float64 reference distance, independent of the engine's kernels: cosine 1 - cos, ip 1 - dot, l2 squared.
 */
export function referenceDistance(metric: OracleMetric, a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let l2 = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    dot += x * y;
    na += x * x;
    nb += y * y;
    l2 += (x - y) * (x - y);
  }
  if (metric === 'l2') return l2;
  if (metric === 'ip') return 1 - dot;
  return 1 - dot / Math.sqrt(na * nb);
}

/**
 * Exact top-k ids by float64 brute force over row-major `base` (rows listed in `skip` excluded),
 * ascending by distance, ties by lower id.
 */
export function bruteForce(
  metric: OracleMetric,
  base: Float32Array,
  dim: number,
  query: ArrayLike<number>,
  k: number,
  skip?: ReadonlySet<number>,
): number[] {
  const n = base.length / dim;
  const scored: { id: number; d: number }[] = [];
  for (let i = 0; i < n; i++) {
    if (skip?.has(i)) continue;
    scored.push({ id: i, d: referenceDistance(metric, base.subarray(i * dim, (i + 1) * dim), query) });
  }
  scored.sort((x, y) => x.d - y.d || x.id - y.id);
  return scored.slice(0, k).map((s) => s.id);
}

/** |found ∩ truth| / |truth|. */
export function recall(found: ArrayLike<number>, truth: readonly number[]): number {
  if (truth.length === 0) return 1;
  const t = new Set(truth);
  let hit = 0;
  for (let i = 0; i < found.length; i++) if (t.has(found[i])) hit++;
  return hit / truth.length;
}
