// Prometheus metrics: request latency per route, and the store's size, read when scraped.
import { statSync } from 'node:fs';
import type { Feather } from 'feather-db';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** One registry per server (several may share a process, in tests). Includes process metrics such as RSS. */
export function createMetrics(db: Feather): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'feather_' });
  const latency = new Histogram({
    name: 'feather_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  };
  gauge('feather_vectors', 'Live memories in the store', () => db.count());
  gauge('feather_namespaces', 'Namespaces holding at least one memory', () => db.listNamespaces().length);
  gauge('feather_wal_bytes', 'Bytes in the write-ahead log (folded into the file at save)', () => fileBytes(`${db.path}.wal`));
  gauge('feather_file_bytes', 'Bytes of the .feather file', () => fileBytes(db.path));
  return {
    registry,
    observe: (method, route, status, seconds) => latency.observe({ method, route, status: String(status) }, seconds),
  };
}
