import { Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { gaugeValue, parsePrometheus } from '../src/lib/prometheus.js';

describe('parsePrometheus', () => {
  it('reads what prom-client writes: gauges, histogram buckets with labels, +Inf', async () => {
    const registry = new Registry();
    new Gauge({ name: 'feather_vectors', help: 'Live memories', registers: [registry] }).set(1234);
    const h = new Histogram({
      name: 'lat_seconds',
      help: 'latency',
      labelNames: ['route', 'status'],
      buckets: [0.001, 0.01],
      registers: [registry],
    });
    h.observe({ route: '/api/v1/namespaces/:ns/search', status: '200' }, 0.0005);
    h.observe({ route: '/api/v1/namespaces/:ns/search', status: '200' }, 0.5);
    const samples = parsePrometheus(await registry.metrics());
    expect(gaugeValue(samples, 'feather_vectors')).toBe(1234);
    const buckets = samples.filter((s) => s.name === 'lat_seconds_bucket');
    expect(buckets.map((s) => [s.labels['le'], s.value])).toEqual([
      ['0.001', 1],
      ['0.01', 1],
      ['+Inf', 2],
    ]);
    expect(buckets[0].labels).toEqual({ le: '0.001', route: '/api/v1/namespaces/:ns/search', status: '200' });
    expect(samples.find((s) => s.name === 'lat_seconds_count')!.value).toBe(2);
    expect(samples.find((s) => s.name === 'lat_seconds_sum')!.value).toBeCloseTo(0.5005, 10);
  });

  it('unescapes label values and reads special values; skips comments and blank lines', () => {
    const text = [
      '# HELP x a help line',
      '# TYPE x gauge',
      '',
      'x{a="q\\"uote",b="back\\\\slash",c="new\\nline"} +Inf',
      'y -Inf',
      'z NaN 1700000000000',
      'w{} 3e-2',
    ].join('\n');
    const samples = parsePrometheus(text);
    expect(samples[0]).toEqual({ name: 'x', labels: { a: 'q"uote', b: 'back\\slash', c: 'new\nline' }, value: Infinity });
    expect(samples[1].value).toBe(-Infinity);
    expect(samples[2].value).toBeNaN();
    expect(samples[3]).toEqual({ name: 'w', labels: {}, value: 0.03 });
    expect(gaugeValue(samples, 'missing')).toBeUndefined();
  });

  it('names the line of a malformed sample', () => {
    expect(() => parsePrometheus('ok 1\n{a="1"} 2')).toThrow('line 2: no metric name in "{a=\\"1\\"} 2"');
    expect(() => parsePrometheus('ok 1\nbad{a="1" 2')).toThrow('line 2: expected , or } after the label a at column 9');
    expect(() => parsePrometheus('bad{a="1 2')).toThrow('line 1: unterminated label value');
    expect(() => parsePrometheus('bad{a=1} 2')).toThrow('line 1: label without a quoted value at column 4');
    expect(() => parsePrometheus('novalue')).toThrow('line 1: no value in "novalue"');
    expect(() => parsePrometheus('x notanumber')).toThrow('line 1: no value in "x notanumber"');
  });
});
