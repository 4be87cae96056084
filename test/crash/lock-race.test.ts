// Many processes open one store as its writer at the same instant, on a free store and on a stale lock left by
// a dead process: every round exactly one of them may win (the rest get FEATHER_ERR_LOCKED).
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { afterAll, describe, expect, it } from 'vitest';

const kRacers = 8;
/** Rounds per mode: FEATHER_LOCK_ROUNDS (test:crash runs 50), else 20. */
const kRounds = Number(process.env['FEATHER_LOCK_ROUNDS'] ?? 20);
const kChild = fileURLToPath(new URL('./lock-racer.child.mjs', import.meta.url));

interface Racer {
  child: ChildProcessByStdio<Writable, Readable, null>;
  next(): Promise<string>;
}

function startRacer(path: string): Racer {
  const child = spawn(process.execPath, [kChild, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: Interface = createInterface({ input: child.stdout });
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  lines.on('line', (line) => {
    const w = waiting.shift();
    if (w === undefined) queue.push(line);
    else w(line);
  });
  return { child, next: () => new Promise((resolve) => (queue.length > 0 ? resolve(queue.shift()!) : waiting.push(resolve))) };
}

/** A lock left by a process that has exited (its pid is free; its start time unknown, as in older locks). */
function staleLock(path: string): void {
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());
  writeFileSync(`${path}.lock`, JSON.stringify({ pid: dead, host: hostname(), token: 'dead' }));
}

describe('writer lock race', () => {
  const racers: Racer[] = [];
  afterAll(() => {
    for (const r of racers) r.child.kill();
  });

  it(`admits exactly one writer of ${kRacers} racing processes, ${kRounds} rounds free and ${kRounds} stale`, async () => {
    const path = tempStorePath('race.feather');
    await (await Feather.open(path, { dim: 4, threads: 1 })).close();
    for (let i = 0; i < kRacers; i++) racers.push(startRacer(path));
    const winners: Record<string, number[]> = { free: [], stale: [] };
    for (const mode of ['free', 'stale'] as const) {
      for (let round = 0; round < kRounds; round++) {
        if (mode === 'stale') staleLock(path);
        const at = Date.now() + 150;
        for (const r of racers) r.child.stdin.write(`go ${at}\n`);
        const results = await Promise.all(racers.map((r) => r.next()));
        const won = results.filter((x) => x === 'WON').length;
        winners[mode].push(won);
        expect(results.filter((x) => x !== 'WON' && x !== 'FEATHER_ERR_LOCKED')).toEqual([]);
        for (const [i, r] of racers.entries()) {
          if (results[i] === 'WON') {
            r.child.stdin.write('release\n');
            expect(await r.next()).toBe('RELEASED');
          }
        }
        // The winner's close released its lock: nothing is left for the next round.
        expect(existsSync(`${path}.lock`)).toBe(false);
      }
    }
    process.stdout.write(`lock race: ${kRacers} processes, winners per round ${JSON.stringify(winners)}\n`);
    expect(winners['free'].every((n) => n === 1)).toBe(true);
    expect(winners['stale'].every((n) => n === 1)).toBe(true);
    for (const r of racers) r.child.stdin.write('exit\n');
  }, 300_000);
});
