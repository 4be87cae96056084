// Request rate and latency over time, from successive scrapes of the latency histogram in /metrics.
import type { PromSample } from './prometheus.js';

/** The histogram feather-serve records every request in. */
export const kLatencyHistogram = 'feather_http_request_duration_seconds';

/** One scrape of the histogram, summed over the routes that count as traffic. */
export interface TrafficSample {
  atMs: number;
  count: number;
  sumSeconds: number;
  /** Cumulative counts by upper bound (seconds), ascending; the last bound is Infinity. */
  buckets: { le: number; count: number }[];
}

/** One point of the chart: what happened between two scrapes. */
export interface TrafficPoint {
  atMs: number;
  requestsPerSecond: number;
  /** Latencies in ms; null when no request finished in the interval. */
  meanMs: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Routes that are not the store's traffic: the scrapes themselves and the page's own files. */
export function isTrafficRoute(route: string): boolean {
  return route !== '/metrics' && !route.startsWith('/admin');
}

export function trafficSample(
  samples: readonly PromSample[],
  atMs: number,
  counts: (route: string) => boolean = isTrafficRoute,
): TrafficSample {
  let count = 0;
  let sumSeconds = 0;
  const byLe = new Map<number, number>();
  for (const s of samples) {
    if (!s.name.startsWith(kLatencyHistogram) || !counts(s.labels['route'] ?? '')) continue;
    const suffix = s.name.slice(kLatencyHistogram.length);
    if (suffix === '_count') count += s.value;
    else if (suffix === '_sum') sumSeconds += s.value;
    else if (suffix === '_bucket') {
      const le = Number(s.labels['le'] === '+Inf' ? Infinity : s.labels['le']);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    }
  }
  const buckets = [...byLe.entries()].sort((a, b) => a[0] - b[0]).map(([le, c]) => ({ le, count: c }));
  return { atMs, count, sumSeconds, buckets };
}

/**
 * The q-quantile (seconds) of the requests counted by cumulative `buckets`, interpolated linearly inside the
 * bucket it falls in (as Prometheus' histogram_quantile does); in the +Inf bucket, the highest finite bound.
 */
export function histogramQuantile(q: number, buckets: readonly { le: number; count: number }[]): number | null {
  const total = buckets.at(-1)?.count ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let lowerLe = 0;
  let lowerCount = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerLe;
      const inBucket = count - lowerCount;
      return inBucket <= 0 ? le : lowerLe + ((le - lowerLe) * (rank - lowerCount)) / inBucket;
    }
    lowerLe = le;
    lowerCount = count;
  }
  return lowerLe;
}

/** The interval between two scrapes, or null when the counters went back (a server restart) or no time passed. */
export function trafficPoint(before: TrafficSample, after: TrafficSample): TrafficPoint | null {
  const seconds = (after.atMs - before.atMs) / 1000;
  const count = after.count - before.count;
  if (seconds <= 0 || count < 0) return null;
  const earlier = new Map(before.buckets.map((b) => [b.le, b.count]));
  const buckets = after.buckets.map(({ le, count: c }) => ({ le, count: c - (earlier.get(le) ?? 0) }));
  const ms = (s: number | null): number | null => (s === null ? null : s * 1000);
  return {
    atMs: after.atMs,
    requestsPerSecond: count / seconds,
    meanMs: count === 0 ? null : ((after.sumSeconds - before.sumSeconds) / count) * 1000,
    p50Ms: ms(histogramQuantile(0.5, buckets)),
    p99Ms: ms(histogramQuantile(0.99, buckets)),
  };
}
