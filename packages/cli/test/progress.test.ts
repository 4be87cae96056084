// The import progress: a bar redrawn in place (with percent, rate and ETA) on a terminal, plain lines otherwise.
import { Writable } from 'node:stream';
import type { IngestProgress } from 'feather-db';
import { describe, expect, it } from 'vitest';
import { ProgressReporter } from '../src/progress.js';
import type { ImportSource, SourceProgress } from '../src/sources/source.js';

function stream(tty: boolean): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  }) as unknown as NodeJS.WriteStream;
  out.isTTY = tty;
  return { out, text: () => text };
}

function source(where: SourceProgress | undefined): ImportSource {
  return { path: 'data.jsonl', name: 'data.jsonl', spec: undefined, rows: () => [][Symbol.iterator]() as never, progress: () => where };
}

const p = (read: number, elapsedMs: number): IngestProgress => ({
  read,
  inserted: read - 10,
  updated: 0,
  skipped: 5,
  failed: 5,
  embedded: 0,
  rowsPerSecond: (read * 1000) / elapsedMs,
  elapsedMs,
});

describe('ProgressReporter', () => {
  it('draws a bar with percent, rate and ETA in place on a terminal, and ends the line when done', () => {
    const { out, text } = stream(true);
    const reporter = new ProgressReporter(out, true);
    reporter.update(source({ done: 250, total: 1000, unit: 'bytes' }), p(2500, 10_000));
    expect(text()).toBe(
      '\r\x1b[Kdata.jsonl [======                  ]  25% 2,500 rows, 250 rows/s, 2,490 stored, 5 skipped, 5 failed ETA 0:30',
    );
    // Redraws are throttled; the final one always draws and ends the line.
    reporter.update(source({ done: 500, total: 1000, unit: 'bytes' }), p(5000, 20_000));
    reporter.update(source({ done: 1000, total: 1000, unit: 'bytes' }), p(10_000, 40_000), true);
    expect(
      text().endsWith('\r\x1b[Kdata.jsonl [========================] 100% 10,000 rows, 250 rows/s, 9,990 stored, 5 skipped, 5 failed\n'),
    ).toBe(true);
  });

  it('prints plain lines elsewhere (logs, pipes), without a bar when the size is unknown, and nothing when disabled', () => {
    const { out, text } = stream(false);
    const reporter = new ProgressReporter(out, true);
    reporter.update(source(undefined), p(100, 1000));
    reporter.update(source({ done: 3, total: 4, unit: 'rows' }), p(30, 1000), true);
    expect(text()).toBe(
      'progress data.jsonl: 100 rows, 100 rows/s, 90 stored, 5 skipped, 5 failed\nprogress data.jsonl: 30 rows, 30 rows/s, 20 stored, 5 skipped, 5 failed (75.0%), done\n',
    );
    const quiet = stream(false);
    new ProgressReporter(quiet.out, false).update(source(undefined), p(1, 1), true);
    expect(quiet.text()).toBe('');
  });
});
