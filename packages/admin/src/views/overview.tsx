// The store at a glance: its size, how long it took to open, and the live request rate and latency.
import { useEffect, useState } from 'preact/hooks';
import { asApiError, type ApiError } from '../api/api-error.js';
import { ErrorNote, Loading } from '../components/status.js';
import { TrafficChart } from '../components/traffic-chart.js';
import { ViewHeading } from '../components/view-heading.js';
import { formatBytes, formatCount, formatMs } from '../lib/format.js';
import { gaugeValue, parsePrometheus } from '../lib/prometheus.js';
import { useSession } from '../lib/session.js';
import { trafficPoint, trafficSample, type TrafficPoint, type TrafficSample } from '../lib/traffic.js';
import { useAsync } from '../lib/use-async.js';

const kPollMs = 2000;
/** Two minutes of points. */
const kSlots = 60;

interface Gauges {
  walBytes: number | undefined;
  rssBytes: number | undefined;
}

/** Scrapes /metrics every kPollMs while the view is open: the chart's points and the latest gauges. */
function useTraffic(): { points: TrafficPoint[]; gauges: Gauges | undefined; error: ApiError | undefined } {
  const { api } = useSession();
  const [points, setPoints] = useState<TrafficPoint[]>([]);
  const [gauges, setGauges] = useState<Gauges | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    let previous: TrafficSample | undefined;
    let timer: number | undefined;
    const scrape = async (): Promise<void> => {
      try {
        const samples = parsePrometheus(await api.metrics(controller.signal));
        const sample = trafficSample(samples, performance.now());
        const point = previous === undefined ? null : trafficPoint(previous, sample);
        previous = sample;
        if (point !== null) setPoints((p) => [...p.slice(1 - kSlots), point]);
        setGauges({
          walBytes: gaugeValue(samples, 'feather_wal_bytes'),
          rssBytes: gaugeValue(samples, 'feather_process_resident_memory_bytes'),
        });
        setError(undefined);
      } catch (e) {
        if (!controller.signal.aborted) setError(asApiError(e));
      }
      if (!controller.signal.aborted) timer = window.setTimeout(() => void scrape(), kPollMs);
    };
    void scrape();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [api]);
  return { points, gauges, error };
}

function Card({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div class="card">
      <dt id={`${id}-label`}>{label}</dt>
      <dd aria-labelledby={`${id}-label`} data-testid={id}>
        {value}
      </dd>
    </div>
  );
}

export function Overview() {
  const { api } = useSession();
  const info = useAsync(
    async (signal) => {
      const [stats, health] = await Promise.all([api.stats(signal), api.health(signal)]);
      return { stats, health };
    },
    [api],
  );
  const traffic = useTraffic();
  return (
    <>
      <ViewHeading>Overview</ViewHeading>
      {info.state === 'error' ? <ErrorNote error={info.error} onRetry={info.reload} title="Cannot read the store's totals" /> : null}
      {info.value === undefined ? (
        info.state === 'loading' ? (
          <Loading label="Reading the store's totals…" />
        ) : null
      ) : (
        <dl class="cards">
          <Card id="stat-vectors" label="Memories" value={formatCount(info.value.stats.total_vectors)} />
          <Card id="stat-namespaces" label="Namespaces" value={formatCount(info.value.stats.namespaces)} />
          <Card id="stat-file" label="File size" value={formatBytes(Math.round(info.value.stats.file_size_mb * 2 ** 20))} />
          <Card id="stat-load" label="Load time" value={formatMs(info.value.stats.load_time_ms)} />
          <Card id="stat-dim" label="Dimensions" value={String(info.value.health.dim)} />
          <Card
            id="stat-wal"
            label="WAL (unsaved writes)"
            value={traffic.gauges?.walBytes === undefined ? '…' : formatBytes(traffic.gauges.walBytes)}
          />
          <Card
            id="stat-rss"
            label="Server memory (RSS)"
            value={traffic.gauges?.rssBytes === undefined ? '…' : formatBytes(traffic.gauges.rssBytes)}
          />
          <Card id="stat-version" label="feather-serve" value={info.value.health.version} />
        </dl>
      )}
      {info.value !== undefined && info.value.stats.total_vectors === 0 ? (
        <p class="status empty">
          This store holds no memories yet. Add some through the REST API (POST /api/v1/namespaces/&lt;ns&gt;/memories) or MCP, then come
          back.
        </p>
      ) : null}
      <section aria-labelledby="traffic-title">
        <h2 id="traffic-title">Traffic</h2>
        {traffic.error === undefined ? null : <ErrorNote error={traffic.error} title="Cannot read /metrics" />}
        <TrafficChart points={traffic.points} slots={kSlots} intervalMs={kPollMs} />
      </section>
      <p>
        <button type="button" onClick={info.reload}>
          Refresh totals
        </button>
      </p>
    </>
  );
}
