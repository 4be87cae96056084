// Background pool work that gives way to searches (main/yielding-tasks.ts): every thread's worth while no
// search runs, one task at a time with pauses while searches do, and never stopped altogether. A manual clock
// and timer: no wall-clock time is involved.
import { describe, expect, it } from 'vitest';
import { YieldingTasks, type PauseClock } from '../src/main/yielding-tasks.js';

/** A clock the test moves, with timers it fires. */
function manualClock(): PauseClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; run: () => void }[] = [];
  return {
    now: () => now,
    after: (ms, run) => void timers.push({ at: now + ms, run }),
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.run();
    },
  };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('YieldingTasks', () => {
  it('keeps every thread busy while no search runs, and one task with pauses while searches do', async () => {
    const clock = manualClock();
    const searching = { value: false };
    const running: { item: number; finish: (ms: number) => void }[] = [];
    const started: number[] = [];
    const tasks = new YieldingTasks<number>(
      2,
      (item) =>
        new Promise<number>((resolve) => {
          started.push(item);
          running.push({ item, finish: resolve });
        }),
      () => searching.value,
      clock,
    );
    // A task ends, having run `ms` in its thread.
    const finish = async (item: number, ms: number): Promise<void> => {
      running
        .splice(
          running.findIndex((r) => r.item === item),
          1,
        )[0]
        .finish(ms);
      await turn();
    };
    for (let i = 1; i <= 8; i++) tasks.push(i);
    // No search: one per thread.
    expect(started).toEqual([1, 2]);
    searching.value = true;
    // Searches now: the two running ones end; the next waits for the pause (4x the last task's 10 ms in its
    // thread, however long it waited for one).
    clock.advance(500);
    await finish(1, 3);
    await finish(2, 10);
    expect(started).toEqual([1, 2]);
    clock.advance(39);
    await turn();
    expect(started).toEqual([1, 2]);
    clock.advance(1);
    await turn();
    // One at a time.
    expect(started).toEqual([1, 2, 3]);
    await finish(3, 5);
    clock.advance(19);
    expect(started).toEqual([1, 2, 3]);
    clock.advance(1);
    await turn();
    expect(started).toEqual([1, 2, 3, 4]);
    // Searches end: the next task to end fills every thread again.
    searching.value = false;
    await finish(4, 5);
    expect(started).toEqual([1, 2, 3, 4, 5, 6]);
    await finish(5, 1);
    await finish(6, 1);
    await finish(7, 1);
    await finish(8, 1);
    expect(started).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(running).toHaveLength(0);
  });

  it('runs an item a task gave back (it gave way to a search) before the queued ones', async () => {
    const started: string[] = [];
    const finishes: ((ms: number) => void)[] = [];
    const tasks: YieldingTasks<string> = new YieldingTasks<string>(
      1,
      (item) =>
        new Promise<number>((resolve) => {
          started.push(item);
          finishes.push((ms) => {
            // The first task ran part of its work: the rest goes back to the queue, first.
            if (item === 'a') tasks.requeue('a, the rest');
            resolve(ms);
          });
        }),
      () => false,
      manualClock(),
    );
    for (const item of ['a', 'b', 'c']) tasks.push(item);
    expect(started).toEqual(['a']);
    finishes[0](1);
    await turn();
    expect(started).toEqual(['a', 'a, the rest']);
    finishes[1](1);
    await turn();
    finishes[2](1);
    await turn();
    expect(started).toEqual(['a', 'a, the rest', 'b', 'c']);
  });
});
