// Shared helpers of the dataset setup: logging with timings, atomic writes, a seeded RNG.
import { renameSync, rmSync, writeFileSync } from 'node:fs';

// ---------------------------------------------------------------- utilities

const t0 = performance.now();
export const timings: { step: string; seconds: number }[] = [];

export function log(msg: string): void {
  const s = ((performance.now() - t0) / 1000).toFixed(1).padStart(7);
  console.log(`[${s}s] ${msg}`);
}

export function timed<T>(step: string, fn: () => T): T {
  const start = performance.now();
  const result = fn();
  const seconds = (performance.now() - start) / 1000;
  timings.push({ step, seconds });
  log(`${step}: ${seconds.toFixed(1)}s`);
  return result;
}

export async function timedAsync<T>(step: string, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  const result = await fn();
  const seconds = (performance.now() - start) / 1000;
  timings.push({ step, seconds });
  log(`${step}: ${seconds.toFixed(1)}s`);
  return result;
}

export function bytesOf(view: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Write via a temp file + rename so readers never observe a partial file. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Float32Array backed by a SharedArrayBuffer so workers can read it without copying. */
export function sharedF32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/** mulberry32: small, fast, seedable 32-bit PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function fmtMB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
