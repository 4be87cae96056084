// The live request rate and latency, one point per scrape of /metrics, as two small SVG line charts.
import type { TrafficPoint } from '../lib/traffic.js';
import { formatMs } from '../lib/format.js';

const kWidth = 600;
const kHeight = 120;
const kPad = { left: 8, right: 8, top: 10, bottom: 6 };

interface Series {
  label: string;
  className: string;
  values: (number | null)[];
}

/** A "nice" top for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
function niceTop(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= max) ?? 10 * power;
}

function path(values: readonly (number | null)[], slots: number, top: number): string {
  const x = (i: number): number => kPad.left + ((kWidth - kPad.left - kPad.right) * i) / Math.max(1, slots - 1);
  const y = (v: number): number => kHeight - kPad.bottom - ((kHeight - kPad.top - kPad.bottom) * v) / top;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    // A point with no neighbour to join (the first one, or after a gap) is drawn as a short dash.
    const alone = !pen && (values[i + 1] ?? null) === null;
    d += alone
      ? `M${(x(i) - 6).toFixed(1)} ${y(v).toFixed(1)}L${x(i).toFixed(1)} ${y(v).toFixed(1)}`
      : `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
    pen = true;
  });
  return d;
}

function LineChart({
  id,
  title,
  unit,
  series,
  slots,
  format,
}: {
  id: string;
  title: string;
  unit: string;
  series: Series[];
  slots: number;
  format: (v: number) => string;
}) {
  const top = niceTop(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const last = series.map(
    (s) =>
      `${s.label} ${(() => {
        const v = s.values.at(-1);
        return v === null || v === undefined ? 'none' : format(v);
      })()}`,
  );
  return (
    <figure class="chart">
      <figcaption id={`${id}-caption`}>
        {title} <span class="muted">(now: {last.join(', ')})</span>
      </figcaption>
      <svg viewBox={`0 0 ${kWidth} ${kHeight}`} role="img" aria-labelledby={`${id}-caption`} preserveAspectRatio="none">
        <line class="grid" x1={kPad.left} x2={kWidth - kPad.right} y1={kPad.top} y2={kPad.top} />
        <line class="axis" x1={kPad.left} x2={kWidth - kPad.right} y1={kHeight - kPad.bottom} y2={kHeight - kPad.bottom} />
        {series.map((s) => (
          <path key={s.label} class={`series ${s.className}`} d={path(s.values, slots, top)} />
        ))}
      </svg>
      <div class="chart-scale">
        <span>
          top {format(top)} {unit}
        </span>
        <ul class="legend">
          {series.map((s) => (
            <li key={s.label}>
              <span class={`swatch ${s.className}`} aria-hidden="true" />
              {s.label}
            </li>
          ))}
        </ul>
      </div>
    </figure>
  );
}

export function TrafficChart({ points, slots, intervalMs }: { points: readonly TrafficPoint[]; slots: number; intervalMs: number }) {
  if (points.length === 0) {
    return (
      <p class="status loading" role="status">
        Collecting… the first point appears after two scrapes of /metrics ({intervalMs / 1000} s apart).
      </p>
    );
  }
  const padded = <T,>(values: T[]): (T | null)[] => [
    ...new Array<null>(Math.max(0, slots - values.length)).fill(null),
    ...values.slice(-slots),
  ];
  return (
    <div class="charts">
      <LineChart
        id="chart-rate"
        title="Requests per second"
        unit="req/s"
        slots={slots}
        format={(v) => v.toFixed(v < 10 ? 2 : 1)}
        series={[{ label: 'req/s', className: 's1', values: padded(points.map((p) => p.requestsPerSecond)) }]}
      />
      <LineChart
        id="chart-latency"
        title="Latency"
        unit=""
        slots={slots}
        format={formatMs}
        series={[
          { label: 'p50', className: 's1', values: padded(points.map((p) => p.p50Ms)) },
          { label: 'p99', className: 's2', values: padded(points.map((p) => p.p99Ms)) },
        ]}
      />
      <p class="hint">
        The last {Math.round((slots * intervalMs) / 60_000)} minutes of API and MCP requests (the page's own scrapes of /metrics and its
        files left out); latency quantiles are estimated from the server's histogram buckets.
      </p>
    </div>
  );
}
