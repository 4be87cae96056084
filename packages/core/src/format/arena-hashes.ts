// Block hashes of bytes that lie in the shared memory, computed by the kernels.
import type { KernelArena } from '../arena.js';
import { cutTasks } from '../open/load-tasks.js';

/**
 * The block hashes of a section whose bytes lie in the arena, in `regions` (in order, each a whole number of
 * 64-byte stripes but the last), hashed by the kernels: what a save of node blocks checksums with, instead of
 * hashing the same bytes in JavaScript.
 */
export function arenaBlockHashes(arena: KernelArena, regions: readonly { at: number; bytes: number }[], blockBytes: number): Uint32Array {
  const length = regions.reduce((n, r) => n + r.bytes, 0);
  const wasm = arena.wasm;
  return Uint32Array.from(cutTasks(0, length, blockBytes, regions), (t) => {
    wasm.hashBegin();
    for (let s = 0; s + 2 < t.spans.length; s += 2) wasm.hashStripes(t.spans[s], t.spans[s + 1]);
    const last = t.spans.length - 2;
    return wasm.hashEnd(t.spans[last], t.spans[last + 1], t.length) >>> 0;
  });
}
