// Crash suite: a child writes a random stream with durability 'fsync' and is killed with SIGKILL at a random
// moment; the store must then open, hold every write whose promise had resolved (and no acknowledged forget
// may come back), and pass the full integrity check. FEATHER_CRASH_TRIALS sets the trial count (default 20;
// `pnpm test:crash` runs 200); FEATHER_CRASH_DEBUG=1 prints each trial's progress.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, suiteCount, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';

interface Event {
  op: 'add' | 'batch' | 'forget' | 'update' | 'link' | 'save';
  id?: string;
  ids?: string[];
  ns?: string;
  text?: string;
  to?: string;
  importance?: number;
  /** The vector of an add, the vectors of a batch (metric l2: stored as given, in float32). */
  v?: number[];
  vs?: number[][];
}

const child = fileURLToPath(new URL('./writer.child.mjs', import.meta.url));
const trials = suiteCount('FEATHER_CRASH_TRIALS', 20);
const baseSeed = suiteSeed('crash', 'FEATHER_CRASH_SEED');

/** Runs the child until a random moment after it is ready, kills it, returns what it printed. */
function runAndKill(path: string, seed: number, afterMs: number): Promise<{ issued: Event[]; acked: Event[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, path, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (timer === undefined && out.includes('R {}')) timer = setTimeout(() => proc.kill('SIGKILL'), afterMs);
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const guard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    proc.on('error', reject);
    proc.on('exit', () => {
      clearTimeout(guard);
      const issued: Event[] = [];
      const acked: Event[] = [];
      for (const line of out.split('\n')) {
        if (line.startsWith('I ')) issued.push(JSON.parse(line.slice(2)) as Event);
        if (line.startsWith('A ')) acked.push(JSON.parse(line.slice(2)) as Event);
      }
      resolve({ issued, acked, stderr: err });
    });
  });
}

describe('crash safety (SIGKILL during writes)', () => {
  it(`loses no acknowledged write and reopens consistent, ${trials} trials`, { timeout: 60_000 + trials * 8_000 }, async () => {
    const rand = seededRandom(baseSeed);
    let trialsWithAcks = 0;
    const stderr: string[] = [];
    for (let t = 0; t < trials; t++) {
      const seed = baseSeed + t;
      const path = tempStorePath();
      // Two kills per trial: the second run starts from a store recovered from the first crash.
      const runs = [await runAndKill(path, seed, 50 + Math.floor(rand() * 500))];
      runs.push(await runAndKill(path, seed + 100_000, 50 + Math.floor(rand() * 500)));
      if (process.env['FEATHER_CRASH_DEBUG'] !== undefined) process.stdout.write(`trial ${t}: runs done\n`);
      // A failing trial's files are kept for a post-mortem (FEATHER_CRASH_KEEP=dir): the open may have cut a torn tail.
      const keep = process.env['FEATHER_CRASH_KEEP'];
      if (keep !== undefined) for (const f of [path, `${path}.wal`]) if (existsSync(f)) copyFileSync(f, join(keep, `${seed}-${basename(f)}`));
      const db = await Feather.open(path, { threads: 1 });
      if (process.env['FEATHER_CRASH_DEBUG'] !== undefined) process.stdout.write(`trial ${t}: opened\n`);
      try {
        const context = `seed ${seed} (FEATHER_CRASH_SEED=${baseSeed}, trial ${t})`;
        const integrity = await db.checkIntegrity();
        expect(integrity.problems, context).toEqual([]);
        const issued = runs.flatMap((r) => r.issued);
        const acked = runs.flatMap((r) => r.acked);
        // A kill right after start may come before the first acknowledgement: still a valid crash, but the suite as a
        // whole must see writes acknowledged (else the child is broken).
        if (acked.length > 0) trialsWithAcks++;
        else stderr.push(...runs.map((r) => r.stderr).filter((e) => e.length > 0));
        const forgetIssued = new Set(issued.filter((e) => e.op === 'forget').map((e) => e.id));
        const lastUpdateIssued = new Map<string, Event>();
        for (const e of issued) if (e.op === 'update') lastUpdateIssued.set(e.id!, e);
        for (const e of acked) {
          if (e.op === 'add' || e.op === 'batch') {
            (e.ids ?? [e.id!]).forEach((id, i) => {
              if (forgetIssued.has(id)) return;
              const got = db.get(id);
              expect(got, `${context}: acknowledged add ${id} is missing`).toBeDefined();
              // The record's contents, not only its id.
              expect(got!.namespace).toBe(e.ns);
              expect(got!.text).toBe(e.op === 'add' ? e.text : id);
              const v = e.op === 'add' ? e.v! : e.vs![i];
              expect(Array.from(db.getVector(id)!), `${context}: vector of ${id}`).toEqual(v.map((x) => Math.fround(x)));
            });
          } else if (e.op === 'forget') {
            expect(db.get(e.id!), `${context}: acknowledged forget ${e.id} came back`).toBeUndefined();
          } else if (e.op === 'update' && lastUpdateIssued.get(e.id!) === e && !forgetIssued.has(e.id)) {
            expect(db.get(e.id!)?.importance, `${context}: acknowledged update of ${e.id}`).toBe(e.importance);
          } else if (e.op === 'link' && !forgetIssued.has(e.id) && !forgetIssued.has(e.to)) {
            expect(db.edges(e.id!).outgoing.some((x) => x.to === e.to), `${context}: acknowledged link ${e.id} -> ${e.to}`).toBe(true);
          }
        }
        // A batch is one write (up to 8,192 rows): acknowledged or not, all of its rows are there or none.
        for (const e of issued) {
          if (e.op !== 'batch' || e.ids!.some((id) => forgetIssued.has(id))) continue;
          const present = e.ids!.filter((id) => db.get(id) !== undefined).length;
          expect([0, e.ids!.length], `${context}: batch of ${e.ids!.length} has ${present} rows`).toContain(present);
        }
      } finally {
        await db.close();
      }
    }
    expect(trialsWithAcks, `children acknowledged nothing; stderr: ${stderr.join('\n')}`).toBeGreaterThan(trials / 2);
  });
});
