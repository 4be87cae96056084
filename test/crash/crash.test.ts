// Crash suite: a child writes a random stream with durability 'fsync' and is killed with SIGKILL at a random
// moment; the store must then open, hold every write whose promise had resolved (and no acknowledged forget
// may come back), and pass the full integrity check. What the child issued and what was acknowledged to it
// comes from its event log (child-run.ts), which holds every line it wrote before the kill. FEATHER_CRASH_TRIALS
// sets the trial count (default 20; `pnpm test:crash` runs 200); FEATHER_CRASH_DEBUG=1 prints each trial's
// progress.
import { copyFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom, suiteCount, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';
import { runChild } from './child-run.js';

interface Event {
  op: 'add' | 'batch' | 'forget' | 'forgetMany' | 'update' | 'link' | 'save';
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
/** Bound on one child run (it is killed at most ~0.6 s after it is ready; this only catches a stuck child). */
const kChildTimeoutMs = 30_000;
/** Bound on a trial's reopen, integrity check, reads and close (a few hundred ms when nothing is wrong). */
const kCheckTimeoutMs = 60_000;

/** Runs the child until a random moment after it is ready, kills it, returns what its event log holds. */
async function runAndKill(
  path: string,
  seed: number,
  afterMs: number,
  log: string,
  mix: 'plain' | 'churn',
): Promise<{ issued: Event[]; acked: Event[]; stderr: string; reused: boolean }> {
  // A child that never reports ready, or hangs, is killed at the bound all the same.
  const run = await runChild(child, [path, String(seed), mix], { log, killAfterReadyMs: afterMs, timeoutMs: kChildTimeoutMs });
  const issued: Event[] = [];
  const acked: Event[] = [];
  let reused = false;
  for (const line of run.lines) {
    if (line.startsWith('S ')) {
      const s = JSON.parse(line.slice(2)) as { nodes: number; added: number };
      reused ||= s.nodes < s.added;
    }
    if (line.startsWith('I ')) issued.push(JSON.parse(line.slice(2)) as Event);
    if (line.startsWith('A ')) acked.push(JSON.parse(line.slice(2)) as Event);
  }
  return { issued, acked, stderr: run.stderr, reused };
}

/** Reopens the store after a trial's two kills and checks every acknowledged write of both runs. */
async function checkTrial(path: string, runs: { issued: Event[]; acked: Event[] }[], context: string): Promise<void> {
  const db = await Feather.open(path, { threads: 1 });
  try {
    const integrity = await db.checkIntegrity();
    expect(integrity.problems, context).toEqual([]);
    const issued = runs.flatMap((r) => r.issued);
    const acked = runs.flatMap((r) => r.acked);
    const forgetIssued = new Set(issued.flatMap((e) => (e.op === 'forget' ? [e.id] : e.op === 'forgetMany' ? e.ids! : [])));
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
      } else if (e.op === 'forget' || e.op === 'forgetMany') {
        for (const id of e.ids ?? [e.id!]) expect(db.get(id), `${context}: acknowledged forget ${id} came back`).toBeUndefined();
      } else if (e.op === 'update' && lastUpdateIssued.get(e.id!) === e && !forgetIssued.has(e.id)) {
        expect(db.get(e.id!)?.importance, `${context}: acknowledged update of ${e.id}`).toBe(e.importance);
      } else if (e.op === 'link' && !forgetIssued.has(e.id) && !forgetIssued.has(e.to)) {
        expect(
          db.edges(e.id!).outgoing.some((x) => x.to === e.to),
          `${context}: acknowledged link ${e.id} -> ${e.to}`,
        ).toBe(true);
      }
    }
    // A batch is one write (up to 1,024 rows): acknowledged or not, all of its rows are there or none.
    for (const e of issued) {
      if (e.op !== 'batch' || e.ids!.some((id) => forgetIssued.has(id))) continue;
      const present = e.ids!.filter((id) => db.get(id) !== undefined).length;
      expect([0, e.ids!.length], `${context}: batch of ${e.ids!.length} has ${present} rows`).toContain(present);
    }
  } finally {
    await db.close();
  }
}

/** `work`, or a failure naming `what` once `ms` have passed: a trial that waits forever fails instead of hanging the suite. */
async function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** `count` trials of two kills each (the writes mixed as `mix` says): every acknowledged write holds after the reopen. */
async function crashTrials(count: number, mix: 'plain' | 'churn', seedOffset: number): Promise<void> {
  const rand = seededRandom(baseSeed + seedOffset);
  let trialsWithAcks = 0;
  let trialsWithReuse = 0;
  const stderr: string[] = [];
  for (let t = 0; t < count; t++) {
    const seed = baseSeed + seedOffset + t;
    const path = tempStorePath();
    // Two kills per trial: the second run starts from a store recovered from the first crash.
    const runs = [await runAndKill(path, seed, 50 + Math.floor(rand() * 500), `${path}.run1.events`, mix)];
    runs.push(await runAndKill(path, seed + 100_000, 50 + Math.floor(rand() * 500), `${path}.run2.events`, mix));
    if (process.env['FEATHER_CRASH_DEBUG'] !== undefined) process.stdout.write(`trial ${t}: runs done\n`);
    // A failing trial's files are kept for a post-mortem (FEATHER_CRASH_KEEP=dir): the open may have cut a torn tail.
    const keep = process.env['FEATHER_CRASH_KEEP'];
    if (keep !== undefined)
      for (const f of [path, `${path}.wal`, `${path}.run1.events`, `${path}.run2.events`])
        if (existsSync(f)) copyFileSync(f, join(keep, `${seed}-${basename(f)}`));
    const context = `seed ${seed} (${mix}, FEATHER_CRASH_SEED=${baseSeed}, trial ${t})`;
    await bounded(checkTrial(path, runs, context), kCheckTimeoutMs, `${context}: the reopen and its checks`);
    if (process.env['FEATHER_CRASH_DEBUG'] !== undefined) process.stdout.write(`trial ${t}: checked\n`);
    // A kill right after start may come before the first acknowledgement: still a valid crash, but the suite as a
    // whole must see writes acknowledged (else the child is broken).
    if (runs.some((r) => r.acked.length > 0)) trialsWithAcks++;
    if (runs.some((r) => r.reused)) trialsWithReuse++;
    else stderr.push(...runs.map((r) => r.stderr).filter((e) => e.length > 0));
  }
  expect(trialsWithAcks, `children acknowledged nothing; stderr: ${stderr.join('\n')}`).toBeGreaterThan(count / 2);
  // Churn must have reused slots before some kill, or it tested nothing new.
  if (mix === 'churn') expect(trialsWithReuse, 'no churn trial reused a node slot before its kill').toBeGreaterThan(0);
}

describe('crash safety (SIGKILL during writes)', () => {
  it(`loses no acknowledged write and reopens consistent, ${trials} trials`, { timeout: 60_000 + trials * 8_000 }, () =>
    crashTrials(trials, 'plain', 0),
  );

  // Bulk forgets keep the store repairing tombstones and reusing rows and node slots (docs/adr/0008).
  const churnTrials = Math.max(4, Math.ceil(trials / 4));
  it(`with churn (rows and slots reused), ${churnTrials} trials`, { timeout: 60_000 + churnTrials * 8_000 }, () =>
    crashTrials(churnTrials, 'churn', 500_000),
  );
});
