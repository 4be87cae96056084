// The strings written since a load (records/string-column.ts): UTF-8 in one blob, replaced and deleted strings
// dropped when the blob is rewritten; checked against a Map of the same writes, seeded.
import { seededRandom, suiteSeed } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { StringColumn } from '../src/records/string-column.js';

const kinds = ['', 'a', 'plain ascii id', 'naïve café 🙂', 'x'.repeat(32), 'y'.repeat(33), 'ü'.repeat(40), '\u{10FFFF}'];

describe('StringColumn', () => {
  it('reads back what was set, replaced or deleted, across growth and rewrites of its blob', () => {
    const seed = suiteSeed('string-column');
    const rand = seededRandom(seed);
    const column = new StringColumn();
    const expected = new Map<number, string>();
    const utf8Length = (s: string | undefined): number => (s === undefined ? 0 : new TextEncoder().encode(s).length);
    // Live UTF-8 bytes, and the most there ever were.
    let live = 0;
    let peakLive = 0;
    for (let step = 0; step < 60_000; step++) {
      const row = Math.floor(rand() * 3_000);
      live -= utf8Length(expected.get(row));
      if (rand() < 0.15) {
        column.delete(row);
        expected.delete(row);
        continue;
      }
      const kind = kinds[Math.floor(rand() * kinds.length)];
      // Long strings now and then, so replaced bytes pile up past the rewrite threshold.
      const s = rand() < 0.05 ? kind + 'z'.repeat(Math.floor(rand() * 4_000)) : `${kind}${row}:${step}`;
      column.set(row, s);
      expected.set(row, s);
      live += utf8Length(s);
      peakLive = Math.max(peakLive, live);
    }
    for (let row = 0; row < 3_000; row++) {
      expect(column.has(row)).toBe(expected.has(row));
      expect(column.get(row)).toBe(expected.get(row));
      const bytes = column.bytes(row);
      expect(bytes === undefined ? undefined : new TextDecoder().decode(bytes)).toBe(expected.get(row));
    }
    // What it holds follows the live strings, not the ~7 MB written: when the blob fills, replaced bytes are
    // dropped once they are half of it, else it doubles, so it never holds more than about four times the most
    // live bytes it has had (it does not shrink when strings are deleted after it grew: seed 2111312153 ended
    // with 4.7 times the live bytes of its last step, under this bound).
    expect(live).toBe([...expected.values()].reduce((sum, s) => sum + utf8Length(s), 0));
    expect(column.byteLength).toBeLessThan(4 * peakLive + 8 * 3_000 + 64 * 1024 + 6 * 4_100);
  });

  it('keeps an empty string apart from no string, and a row past the last one set has none', () => {
    const column = new StringColumn();
    column.set(5, '');
    expect(column.has(5)).toBe(true);
    expect(column.get(5)).toBe('');
    expect(column.has(4)).toBe(false);
    expect(column.get(1_000_000)).toBeUndefined();
    column.delete(5);
    expect(column.has(5)).toBe(false);
  });
});
