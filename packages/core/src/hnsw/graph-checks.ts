// Integrity checks of a live index's link lists (Feather.checkIntegrity, the crash suite).
import { kNCount0, kNLevelFlags, kNUpper } from '../layout.js';
import type { HnswIndex } from './hnsw-index.js';

/** Every link list of every published node: counts within bounds, ids published, no self links. Returns the first problem found. */
export function checkLinks(index: HnswIndex): string[] {
  const n = index.size;
  const u32 = index.arena.u32;
  const blockWords = 1 + index.m;
  for (let id = 0; id < n; id++) {
    const node = index.nodeAddress(id);
    let problem = linkProblem(u32, (node + kNCount0) >>> 2, 2 * index.m, n, id);
    const level = u32[(node + kNLevelFlags) >>> 2] & 0xff;
    const upper = u32[(node + kNUpper) >>> 2] >>> 2;
    for (let l = 0; l < level && problem === undefined; l++) problem = linkProblem(u32, upper + l * blockWords, index.m, n, id);
    if (problem !== undefined) return [problem];
  }
  return [];
}

/** The (count, ids...) list at word `at`: count <= cap, ids < n, no self link. */
function linkProblem(u32: Uint32Array, at: number, cap: number, n: number, id: number): string | undefined {
  const count = u32[at];
  if (count > cap) return `node ${id} has ${count} links (at most ${cap})`;
  for (let j = 1; j <= count; j++) {
    const link = u32[at + j];
    if (link >= n || link === id) return `node ${id} links to ${link}`;
  }
  return undefined;
}
