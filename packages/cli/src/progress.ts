// Import progress on stderr: a bar with rate and ETA redrawn in place on a terminal, plain lines every few
// seconds otherwise (logs, CI, pipes).
import type { IngestProgress } from 'feather-db';
import { count } from './output.js';
import type { ImportSource } from './sources/source.js';

/** Redraws per second at most, on a terminal. */
const kRedrawMs = 100;
/** Seconds between plain progress lines. */
const kPlainLineMs = 2000;
const kBarWidth = 24;

export class ProgressReporter {
  readonly #stream: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #enabled: boolean;
  /** When the last line was drawn (the first update always draws). */
  #last = Number.NEGATIVE_INFINITY;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream, enabled: boolean) {
    this.#stream = stream;
    this.#tty = stream.isTTY === true;
    this.#enabled = enabled;
  }

  update(source: ImportSource, p: IngestProgress, final = false): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (!final && now - this.#last < (this.#tty ? kRedrawMs : kPlainLineMs)) return;
    this.#last = now;
    const where = source.progress();
    const fraction = where === undefined || where.total === 0 ? undefined : Math.min(1, where.done / where.total);
    const counts = `${count(p.read)} rows, ${count(p.rowsPerSecond)} rows/s, ${count(p.inserted + p.updated)} stored, ${count(p.skipped)} skipped, ${count(p.failed)} failed`;
    if (this.#tty) {
      const bar =
        fraction === undefined
          ? ''
          : `[${'='.repeat(Math.round(fraction * kBarWidth)).padEnd(kBarWidth)}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
      const eta = fraction === undefined || fraction === 0 || final ? '' : ` ETA ${clock((p.elapsedMs * (1 - fraction)) / fraction)}`;
      this.#stream.write(`\r\x1b[K${source.name} ${bar}${counts}${eta}${final ? '\n' : ''}`);
      this.#drawn = !final;
    } else {
      const percent = fraction === undefined ? '' : ` (${(fraction * 100).toFixed(1)}%)`;
      this.#stream.write(`progress ${source.name}: ${counts}${percent}${final ? ', done' : ''}\n`);
    }
  }

  /** Ends a bar left mid-line (before an error or a note is printed). */
  clear(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }
}

/** ms as m:ss (or h:mm:ss). */
function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}
