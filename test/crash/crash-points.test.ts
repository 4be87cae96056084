// Named crash points: the process is killed (SIGKILL, from inside the writer's file layer, through the
// internal fault hook) at a chosen file operation: between a save's rename and its new WAL, before and after
// an automatic save's rename, between a WAL group's write and its sync, and during an open's WAL recovery.
// The store then opens with every acknowledged write, whole: its text, namespace, vector and later updates;
// a batch is all there or not at all; an acknowledged forget stays forgotten. Random crash moments are
// crash.test.ts.
import { fileURLToPath } from 'node:url';
import { tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';
import { runChild } from './child-run.js';

const kChild = fileURLToPath(new URL('./crash-point.child.mjs', import.meta.url));

interface Acked {
  op: 'add' | 'batch' | 'update' | 'forget';
  id?: string;
  ids?: string[];
  n?: number;
  first?: number;
  text?: string;
  ns?: string;
  importance?: number;
}

type Fault = { op: 'open' | 'write' | 'sync' | 'rename'; nth: number; crash: 'before' | 'after' };

async function runToCrash(
  path: string,
  mode: string,
  fault: Fault | undefined,
  log: string,
): Promise<{ acked: Acked[]; killed: boolean; stderr: string }> {
  const env = { ...process.env };
  if (fault === undefined) delete env['FEATHER_INTERNAL_FAULTS'];
  else env['FEATHER_INTERNAL_FAULTS'] = JSON.stringify({ io: fault });
  const r = await runChild(kChild, [path, mode], { log, timeoutMs: 60_000, env });
  const acked = r.lines.filter((l) => l.startsWith('A ')).map((l) => JSON.parse(l.slice(2)) as Acked);
  return { acked, killed: r.signal === 'SIGKILL', stderr: r.stderr };
}

const vector = (n: number): number[] => Array.from({ length: 8 }, (_, i) => Math.fround(Math.sin(n * 8 + i)));
const kBatches: Record<string, number> = { b: 50, d: 300 };

async function expectAllAcknowledged(path: string, acked: Acked[], context: string): Promise<void> {
  const db = await Feather.open(path, { threads: 1 });
  try {
    expect((await db.checkIntegrity()).problems, context).toEqual([]);
    const forgotten = new Set(acked.filter((e) => e.op === 'forget').map((e) => e.id));
    for (const e of acked) {
      if (e.op === 'add' && !forgotten.has(e.id)) {
        expect(db.get(e.id!), `${context}: ${e.id}`).toMatchObject({ id: e.id, text: e.text, namespace: e.ns });
        expect(Array.from(db.getVector(e.id!)!), `${context}: vector of ${e.id}`).toEqual(vector(e.n!));
      } else if (e.op === 'batch') {
        e.ids!.forEach((id, i) => {
          expect(db.get(id), `${context}: ${id}`).toMatchObject({ text: `text of ${id}`, namespace: 'batch' });
          expect(Array.from(db.getVector(id)!)).toEqual(vector(e.first! + i));
        });
      } else if (e.op === 'update') {
        expect(db.get(e.id!)?.importance, `${context}: update of ${e.id}`).toBe(e.importance);
      } else if (e.op === 'forget') {
        expect(db.get(e.id!), `${context}: forgotten ${e.id}`).toBeUndefined();
      }
    }
    // A batch is one write: all of its rows or none, acknowledged or not.
    for (const [prefix, size] of Object.entries(kBatches)) {
      const present = Array.from({ length: size }, (_, i) => db.get(`${prefix}${i}`) !== undefined).filter(Boolean).length;
      expect([0, size], `${context}: batch ${prefix} has ${present} of ${size} rows`).toContain(present);
    }
  } finally {
    await db.close();
  }
}

// Renames of a new store: #1 its file, #2 its WAL; then per save: the file, then the new WAL.
const kPoints: { name: string; mode: string; fault: Fault; recovery?: Fault }[] = [
  { name: 'a new store: file renamed, WAL not yet created', mode: 'saves', fault: { op: 'rename', nth: 1, crash: 'after' } },
  { name: 'a save: file written and synced, not yet renamed', mode: 'saves', fault: { op: 'rename', nth: 3, crash: 'before' } },
  { name: "a save: between the file's rename and the new WAL", mode: 'saves', fault: { op: 'rename', nth: 3, crash: 'after' } },
  { name: 'a save: new WAL renamed into place, not yet opened', mode: 'saves', fault: { op: 'rename', nth: 4, crash: 'after' } },
  { name: 'the second save: between its rename and the new WAL', mode: 'saves', fault: { op: 'rename', nth: 5, crash: 'after' } },
  { name: 'an automatic save: file written, not yet renamed', mode: 'autosave', fault: { op: 'rename', nth: 3, crash: 'before' } },
  {
    name: "an automatic save: between the file's rename and the new WAL",
    mode: 'autosave',
    fault: { op: 'rename', nth: 3, crash: 'after' },
  },
  { name: 'a WAL group: written, not yet synced', mode: 'saves', fault: { op: 'sync', nth: 12, crash: 'before' } },
  { name: 'a WAL group: synced, not yet acknowledged', mode: 'saves', fault: { op: 'sync', nth: 12, crash: 'after' } },
  {
    name: 'recovery: the WAL read, not yet resumed',
    mode: 'saves',
    fault: { op: 'sync', nth: 30, crash: 'after' },
    recovery: { op: 'open', nth: 2, crash: 'before' },
  },
  {
    name: 'recovery: the WAL resumed, nothing written yet',
    mode: 'autosave',
    fault: { op: 'sync', nth: 20, crash: 'after' },
    recovery: { op: 'open', nth: 2, crash: 'after' },
  },
];

describe('named crash points', () => {
  it.each(kPoints)('$name', async ({ name, mode, fault, recovery }) => {
    const path = tempStorePath();
    const run = await runToCrash(path, mode, fault, `${path}.events`);
    expect(run.killed, `${name}: the crash point was never reached; stderr: ${run.stderr}`).toBe(true);
    if (recovery !== undefined) {
      // The next open dies in the middle of its recovery; the one after must still hold everything.
      const second = await runToCrash(path, 'reopen', recovery, `${path}.reopen.events`);
      expect(second.killed, `${name}: the recovery crash point was never reached; stderr: ${second.stderr}`).toBe(true);
    }
    await expectAllAcknowledged(path, run.acked, name);
  });
});
