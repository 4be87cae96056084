// One fixed life of a store, driven through the engine the writer worker runs (StoreEngine, in-process):
// create, single writes and a multi-write group, a save (WAL re-created), an update, a forget and a recall
// flush, close; reopen (WAL resumed), more writes, a recall flush, a second save, a write, close. Every step's outcome is recorded: a
// write that returned is acknowledged; one that threw may or may not have reached the files. The fault and
// power-loss sweeps (io-faults.test.ts) run it over FileIos that fail or lose data and then check, on a
// clean open of what is left, that every acknowledged write is there.
import {
  FeatherError,
  HnswIndex,
  StoreEngine,
  type Durability,
  type EngineOpenSpec,
  type FileIo,
  type KernelArena,
  type ModelOp,
  type WriteResult,
} from '@feather-db/core';
import { gaussian, seededRandom } from '@feather-db/testkit';
import { expect } from 'vitest';

const kPath = '/store.feather';
const kDim = 8;

export function engineSpec(durability: Durability, readOnly = false): EngineOpenSpec {
  return {
    path: kPath,
    modalities: { text: { dim: kDim, metric: 'cosine' } },
    m: 8,
    efConstruction: 32,
    efSearch: 32,
    modelId: undefined,
    readOnly,
    durability,
  };
}

function linkAll(arena: KernelArena, result: WriteResult): void {
  for (const job of result.jobs) {
    const index = HnswIndex.attach(arena, job.index);
    for (let id = job.first; id < job.first + job.count; id++) index.insertReserved(id);
  }
}

/** A memory's observable state: its text and stored vector, or null when absent. */
export type MemoryState = string | null;

/** Per id, the states it may have after a reopen: one once acknowledged, more while a write is in doubt. */
export class Expected {
  readonly allowed = new Map<string, Set<MemoryState>>();
  /** Per id, the recall counts it may have after a reopen (a recall flush's; 0 before any). */
  readonly recalls = new Map<string, Set<number>>();

  recallAcked(id: string, count: number): void {
    this.recalls.set(id, new Set([count]));
  }

  recallInDoubt(id: string, count: number): void {
    const now = this.recalls.get(id) ?? new Set<number>([0]);
    now.add(count);
    this.recalls.set(id, now);
  }

  acked(id: string, state: MemoryState): void {
    this.allowed.set(id, new Set([state]));
  }

  inDoubt(id: string, state: MemoryState): void {
    const now = this.allowed.get(id) ?? new Set<MemoryState>([null]);
    now.add(state);
    this.allowed.set(id, now);
  }

  /** Acknowledged ids (exactly one allowed state, present). */
  get ackedCount(): number {
    let n = 0;
    for (const s of this.allowed.values()) if (s.size === 1 && !s.has(null)) n++;
    return n;
  }
}

export function stateOf(engine: StoreEngine, id: string): MemoryState {
  const row = engine.model.rowOf(id);
  if (row === undefined) return null;
  const { index, rows } = engine.modalities().get('text')!;
  const node = rows.get(row);
  const vector = node < 0 ? [] : Array.from(index.getVector(node)).map((x) => x.toFixed(5));
  return `${engine.model.record(row)!.text}|${vector.join(',')}`;
}

/** The state a write of `text` with `vector` leaves (cosine: stored normalised, as the engine stores it). */
function stateFor(text: string, vector: Float32Array): MemoryState {
  const norm = Math.sqrt(vector.reduce((s, x) => s + x * x, 0));
  return `${text}|${Array.from(vector, (x) => Math.fround(x / norm).toFixed(5)).join(',')}`;
}

function need(engine: StoreEngine | undefined): StoreEngine {
  if (engine === undefined) throw new FeatherError('FEATHER_ERR_IO', 'no open store (its open failed)');
  return engine;
}

export interface ScenarioRun {
  expected: Expected;
  /** Steps that threw, with their codes (every one must be FEATHER_ERR_IO). */
  failures: { step: string; code: string }[];
}

/**
 * Runs the scenario over `io`. `stopAfterFault`: the first failed step ends the run (a power loss: nothing runs
 * after the crash); otherwise every later step is still tried and must succeed or fail typed.
 */
export function runScenario(
  arena: KernelArena,
  io: FileIo,
  durability: Durability,
  stopAfterFault: () => boolean = () => false,
): ScenarioRun {
  const rand = seededRandom(7);
  const vec = (): Float32Array => Float32Array.from({ length: kDim }, () => gaussian(rand));
  const expected = new Expected();
  const failures: { step: string; code: string }[] = [];
  // Under 'none' a write is acknowledged in memory: it is only as durable as the next flush (save or close)
  // that succeeds; until then it is in doubt (docs/format.md, "Durability").
  let unflushed: (() => void)[] = [];
  const ack = (id: string, state: MemoryState): void => {
    if (durability !== 'none') return expected.acked(id, state);
    expected.inDoubt(id, state);
    unflushed.push(() => expected.acked(id, state));
  };
  const ackRecall = (id: string, count: number): void => {
    if (durability !== 'none') return expected.recallAcked(id, count);
    expected.recallInDoubt(id, count);
    unflushed.push(() => expected.recallAcked(id, count));
  };
  const flushed = (): void => {
    for (const promote of unflushed) promote();
    unflushed = [];
  };
  let engine: StoreEngine | undefined;
  let stopped = false;
  const step = (name: string, fn: () => void, onOk: () => void = () => undefined, onFail: () => void = () => undefined): void => {
    if (stopped) return;
    try {
      fn();
      onOk();
    } catch (error) {
      failures.push({ step: name, code: error instanceof FeatherError ? error.code : `untyped: ${(error as Error).message}` });
      onFail();
      if (stopAfterFault()) stopped = true;
    }
  };
  const upsert = (name: string, items: { id: string; text: string }[]): void => {
    const vectors = items.map(() => vec());
    const flat = new Float32Array(items.length * kDim);
    vectors.forEach((v, i) => flat.set(v, i * kDim));
    const op: ModelOp = { type: 'upsert', now: 1_700_000_000_000, items: items.map((it) => ({ ...it, modality: 'text' })) };
    const states = items.map((it, i) => stateFor(it.text, vectors[i]));
    step(
      name,
      () =>
        need(engine)
          .writeMany([{ op, vectors: { text: flat }, parallel: false }])
          .forEach((r) => linkAll(arena, r)),
      () => items.forEach((it, i) => ack(it.id, states[i])),
      () => items.forEach((it, i) => expected.inDoubt(it.id, states[i])),
    );
  };
  const open = (name: string): void => {
    step(name, () => {
      // A store whose open failed is never used (Feather.open rejects): later steps fail until one opens.
      engine = undefined;
      const opened = new StoreEngine(arena, io);
      linkAll(arena, opened.open(engineSpec(durability)).pending);
      engine = opened;
    });
  };
  // A recall flush (feather-db's recall-log.ts): the counts of the rows bumped since the last one, absolute.
  const recall = (name: string, counts: Record<string, number>): void => {
    const present = (): [string, number][] => Object.entries(counts).filter(([id]) => need(engine).model.rowOf(id) !== undefined);
    let flushed: [string, number][] = [];
    step(
      name,
      () => {
        flushed = present();
        const rows = flushed.map(([id]) => need(engine).model.rowOf(id)!);
        const op: ModelOp = { type: 'recall', rows, counts: flushed.map(([, c]) => c), lasts: flushed.map(() => 1_700_000_000_500) };
        need(engine).writeMany([{ op, vectors: {}, parallel: false }]);
      },
      () => flushed.forEach(([id, c]) => ackRecall(id, c)),
      () => flushed.forEach(([id, c]) => expected.recallInDoubt(id, c)),
    );
  };
  const close = (name: string): void =>
    step(
      name,
      () => need(engine).close(),
      flushed,
      () => (unflushed = []),
    );

  open('create');
  for (let i = 0; i < 3; i++) upsert(`write ${i}`, [{ id: `a${i}`, text: `a${i}` }]);
  // A group: three writes in one writeMany (one WAL group, one sync).
  const groupVectors = [vec(), vec(), vec()];
  const group = groupVectors.map((v, i) => ({ id: `g${i}`, text: `g${i}`, v }));
  step(
    'group',
    () =>
      need(engine)
        .writeMany(
          group.map((g) => ({
            op: { type: 'upsert', now: 1, items: [{ id: g.id, text: g.text, modality: 'text' }] },
            vectors: { text: g.v },
            parallel: false,
          })),
        )
        .forEach((r) => linkAll(arena, r)),
    () => group.forEach((g) => ack(g.id, stateFor(g.text, g.v))),
    () => group.forEach((g) => expected.inDoubt(g.id, stateFor(g.text, g.v))),
  );
  step('save', () => void need(engine).save(undefined, 'auto'), flushed);
  upsert('write after save', [
    { id: 'b0', text: 'b0' },
    { id: 'b1', text: 'b1' },
  ]);
  const before = expected.allowed.get('a1');
  const updated = before === undefined ? undefined : [...before].find((x) => x !== null);
  step(
    'update',
    () => need(engine).writeMany([{ op: { type: 'update', id: 'a1', patch: { text: 'a1 changed' } }, vectors: {}, parallel: false }]),
    () => {
      if (updated !== undefined && updated !== null) ack('a1', updated.replace(/^a1\|/, 'a1 changed|'));
    },
    () => {
      if (updated !== undefined && updated !== null) expected.inDoubt('a1', updated.replace(/^a1\|/, 'a1 changed|'));
    },
  );
  step(
    'forget',
    () => need(engine).writeMany([{ op: { type: 'forget', ids: ['a2'] }, vectors: {}, parallel: false }]),
    () => ack('a2', null),
    () => expected.inDoubt('a2', null),
  );
  recall('recall flush', { a0: 3, g0: 2 });
  close('close');
  open('reopen');
  upsert('write after reopen', [{ id: 'c0', text: 'c0' }]);
  recall('recall flush after reopen', { a0: 4, c0: 1 });
  step('second save', () => void need(engine).save(undefined, 'always'), flushed);
  upsert('last write', [{ id: 'd0', text: 'd0' }]);
  close('last close');
  return { expected, failures };
}

/** Opens what the files hold with a clean FileIo and checks every id against what may be there. */
export function expectHeld(arena: KernelArena, io: FileIo, expected: Expected, context: string): void {
  arena.resetForTests();
  if (!io.exists(kPath)) {
    // Only a store whose creation failed has no file, and then nothing was acknowledged.
    expect(expected.ackedCount, context).toBe(0);
    return;
  }
  const engine = new StoreEngine(arena, io);
  linkAll(arena, engine.open(engineSpec('fsync', true)).pending);
  expect(engine.verify(), context).toEqual([]);
  for (const [id, allowed] of expected.allowed) {
    const state = stateOf(engine, id);
    expect(allowed.has(state), `${context}: ${id} is ${state}, expected one of ${JSON.stringify([...allowed])}`).toBe(true);
  }
  for (const [id, allowed] of expected.recalls) {
    const row = engine.model.rowOf(id);
    if (row === undefined) continue;
    const count = engine.model.record(row)!.recallCount;
    expect(allowed.has(count), `${context}: ${id} has recallCount ${count}, expected one of ${JSON.stringify([...allowed])}`).toBe(true);
  }
  engine.close();
}
