import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatId, formatMs, truncate } from '../src/lib/format.js';

describe('formatting', () => {
  it('sizes, durations and ages read as people write them', () => {
    expect([0, 1023, 1024, 1536, 10 * 2 ** 20, 150 * 2 ** 30].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.00 KiB',
      '1.50 KiB',
      '10.0 MiB',
      '150 GiB',
    ]);
    expect([0.25, 3.14159, 42.4, 999, 1500, 65_000].map(formatMs)).toEqual(['0.25 ms', '3.1 ms', '42 ms', '999 ms', '1.50 s', '65.0 s']);
    const now = Date.UTC(2026, 0, 15);
    expect(formatAge(now - 30_000, now)).toBe('just now');
    expect(formatAge(now - 5 * 60_000, now)).toBe('5 min ago');
    expect(formatAge(now - 3 * 86_400_000, now)).toBe('3 d ago');
    expect(formatAge(now + 2 * 3_600_000, now)).toBe('in 2 h');
    expect(formatAge(now - 400 * 86_400_000, now)).toBe('1 y ago');
  });

  it('ids: a string of digits is quoted (it is not the integer); long text is cut', () => {
    expect(formatId(7)).toBe('7');
    expect(formatId('7')).toBe('"7"');
    expect(formatId('tea')).toBe('tea');
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
