// Crash suite: a child writes a random stream with durability 'fsync' and is killed with SIGKILL at a random
// moment; the store must then open, hold every write whose promise had resolved (and no acknowledged forget
// may come back), and pass the full integrity check. FEATHER_CRASH_TRIALS sets the trial count (default 20;
// `pnpm test:crash` runs 200).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { seededRandom, tempStorePath } from '@feather-db/testkit';
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
}

const child = fileURLToPath(new URL('./writer.child.mjs', import.meta.url));
const trials = Number(process.env['FEATHER_CRASH_TRIALS'] ?? 20);
const baseSeed = Number(process.env['FEATHER_CRASH_SEED'] ?? 7100);

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
      const db = await Feather.open(path, { threads: 1 });
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
            for (const id of e.ids ?? [e.id!]) {
              if (forgetIssued.has(id)) continue;
              const got = db.get(id);
              expect(got, `${context}: acknowledged add ${id} is missing`).toBeDefined();
              expect(got!.namespace).toBe(e.ns);
            }
          } else if (e.op === 'forget') {
            expect(db.get(e.id!), `${context}: acknowledged forget ${e.id} came back`).toBeUndefined();
          } else if (e.op === 'update' && lastUpdateIssued.get(e.id!) === e && !forgetIssued.has(e.id)) {
            expect(db.get(e.id!)?.importance, `${context}: acknowledged update of ${e.id}`).toBe(e.importance);
          } else if (e.op === 'link' && !forgetIssued.has(e.id) && !forgetIssued.has(e.to)) {
            expect(
              db.edges(e.id!).outgoing.some((x) => x.to === e.to),
              `${context}: acknowledged link ${e.id} -> ${e.to}`,
            ).toBe(true);
          }
        }
      } finally {
        await db.close();
      }
    }
    expect(trialsWithAcks, `children acknowledged nothing; stderr: ${stderr.join('\n')}`).toBeGreaterThan(trials / 2);
  });
});
