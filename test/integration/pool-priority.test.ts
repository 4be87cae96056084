// The reader pool's threads run below the event loop's priority by default (OpenOptions.poolPriority): on
// Linux their nice value is the process's plus 10, so a main thread that wakes up wins a contended core.
import { readdirSync, readFileSync } from 'node:fs';
import { seededRandom, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { Feather, type OpenOptions } from 'feather-db';
import { describe, expect, it, vi } from 'vitest';

const kDim = 8;
const seed = suiteSeed('pool-priority');

/** The nice value of thread `tid` of this process (field 19 of its stat line, counted after the command's parentheses). */
function niceOf(tid: string): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** How many of this process's threads run at `nice`. */
function threadsAt(nice: number): number {
  return readdirSync('/proc/self/task').filter((tid) => {
    try {
      return niceOf(tid) === nice;
    } catch {
      return false; // the thread ended meanwhile
    }
  }).length;
}

/** A store of 2,000 vectors with two reader threads, searched by 2,000 queries in one searchMany (packed across both threads). */
async function withBusyPool(options: Partial<OpenOptions>, check: () => Promise<void>): Promise<void> {
  const rand = seededRandom(seed);
  const db = await Feather.open(tempStorePath('priority.feather'), { dim: kDim, threads: 2, durability: 'none', ...options });
  try {
    const vectors = Float32Array.from({ length: 2000 * kDim }, () => rand() - 0.5);
    await db.addBatch(vectors);
    const lists = await db.searchMany(vectors, { k: 5, ef: 200, track: false });
    expect(lists).toHaveLength(2000);
    await check();
  } finally {
    await db.close();
  }
}

describe.runIf(process.platform === 'linux')('reader pool priority', () => {
  const own = (): number => niceOf(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0]);

  it('lowers both reader threads by 10 nice steps by default, and no other thread', async () => {
    const base = own();
    const before = threadsAt(Math.min(19, base + 10));
    await withBusyPool({}, async () => {
      await vi.waitFor(() => expect(threadsAt(Math.min(19, base + 10)) - before).toBe(2), { timeout: 10_000 });
      expect(own()).toBe(base);
    });
  });

  it("leaves every thread at the process's priority with poolPriority: 'normal'", async () => {
    const base = own();
    const lowered = (): number => readdirSync('/proc/self/task').length - threadsAt(base);
    const before = lowered();
    await withBusyPool({ poolPriority: 'normal' }, () => {
      expect(lowered()).toBe(before);
      return Promise.resolve();
    });
  });
});
