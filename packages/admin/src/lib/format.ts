// How numbers, sizes, times and ids read on the page.
import type { MemoryId } from '../api/types.js';

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${units[unit]}`;
}

export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatScore(value: number): string {
  return value.toFixed(3);
}

const kUnits: [number, string][] = [
  [365 * 86_400_000, 'y'],
  [30 * 86_400_000, 'mo'],
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
];

/** `3 d ago`, `in 2 h` (a timestamp in the future), `just now`: the age of `ms` at `nowMs`. */
export function formatAge(ms: number, nowMs: number): string {
  const delta = nowMs - ms;
  const size = Math.abs(delta);
  for (const [unitMs, unit] of kUnits) {
    if (size >= unitMs) {
      const n = Math.floor(size / unitMs);
      return delta >= 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
    }
  }
  return 'just now';
}

/** ISO time, to the second, in UTC. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** An id as it is written: strings quoted only when they could be read as an integer. */
export function formatId(id: MemoryId): string {
  return typeof id === 'number' ? String(id) : /^\d+$/.test(id) ? JSON.stringify(id) : id;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
