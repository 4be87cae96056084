import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parsePrometheus } from '../src/lib/prometheus.js';
import { histogramQuantile, isTrafficRoute, kLatencyHistogram, trafficPoint, trafficSample } from '../src/lib/traffic.js';

/** The histogram feather-serve keeps (same name, labels and buckets), in a registry of its own. */
function serverHistogram(): { registry: Registry; observe: (route: string, seconds: number) => void } {
  const registry = new Registry();
  const h = new Histogram({
    name: kLatencyHistogram,
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, observe: (route, seconds) => h.observe({ method: 'GET', route, status: '200' }, seconds) };
}

describe('histogramQuantile', () => {
  it('interpolates inside the bucket the rank falls in, as Prometheus does', () => {
    // 10 requests: 4 in (0, 1], 4 in (1, 2], 2 in (2, 4].
    const buckets = [
      { le: 1, count: 4 },
      { le: 2, count: 8 },
      { le: 4, count: 10 },
      { le: Infinity, count: 10 },
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(1.25, 12);
    expect(histogramQuantile(0.2, buckets)).toBeCloseTo(0.5, 12);
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(3, 12);
    expect(histogramQuantile(1, buckets)).toBe(4);
  });

  it('answers the highest finite bound in the +Inf bucket, and null with no requests', () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Infinity, count: 5 },
      ]),
    ).toBe(1);
    expect(
      histogramQuantile(0.5, [
        { le: 1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
    ).toBeNull();
    expect(histogramQuantile(0.5, [])).toBeNull();
  });
});

describe('trafficPoint', () => {
  it("rate and latency between two scrapes of a real histogram; the page's own routes left out", async () => {
    const { registry, observe } = serverHistogram();
    observe('/api/v1/stats', 0.002);
    const first = trafficSample(parsePrometheus(await registry.metrics()), 10_000);
    // 2 s later: 100 searches at 3 ms, one slow one at 200 ms, and traffic that must not count.
    for (let i = 0; i < 100; i++) observe('/api/v1/namespaces/:ns/search', 0.003);
    observe('/api/v1/namespaces/:ns/search', 0.2);
    for (let i = 0; i < 50; i++) observe('/metrics', 0.0001);
    observe('/admin/*', 0.0001);
    const second = trafficSample(parsePrometheus(await registry.metrics()), 12_000);
    expect(second.count - first.count).toBe(101);
    const point = trafficPoint(first, second)!;
    expect(point.atMs).toBe(12_000);
    expect(point.requestsPerSecond).toBeCloseTo(50.5, 12);
    expect(point.meanMs).toBeCloseTo((100 * 3 + 200) / 101, 9);
    // The median falls in the (2.5 ms, 5 ms] bucket; p99 at rank 99.99 of 101 is still in it.
    expect(point.p50Ms).toBeGreaterThan(2.5);
    expect(point.p50Ms).toBeLessThanOrEqual(5);
    expect(point.p99Ms).toBeLessThanOrEqual(5);
    expect(
      histogramQuantile(
        0.999,
        second.buckets.map((b, i) => ({ le: b.le, count: b.count - first.buckets[i].count })),
      )! * 1000,
    ).toBeGreaterThan(100);
  });

  it('an idle interval is 0 req/s with no latency; a restart (counters going back) is no point', () => {
    const sample = (atMs: number, count: number) => ({
      atMs,
      count,
      sumSeconds: count * 0.001,
      buckets: [
        { le: 0.001, count },
        { le: Infinity, count },
      ],
    });
    expect(trafficPoint(sample(0, 5), sample(2000, 5))).toEqual({
      atMs: 2000,
      requestsPerSecond: 0,
      meanMs: null,
      p50Ms: null,
      p99Ms: null,
    });
    expect(trafficPoint(sample(0, 5), sample(2000, 2))).toBeNull();
    expect(trafficPoint(sample(2000, 5), sample(2000, 6))).toBeNull();
  });

  it("counts the API and MCP, not the scrapes or the page's files", () => {
    expect(['/api/v1/namespaces/:ns/search', '/mcp', '/health', 'unmatched'].every(isTrafficRoute)).toBe(true);
    expect(['/metrics', '/admin', '/admin/*'].some(isTrafficRoute)).toBe(false);
  });
});
