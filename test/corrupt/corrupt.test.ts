// Corruption suite: random byte flips, zeroed ranges, truncations, extensions and section-entry swaps of a
// valid .feather file and of its WAL. Every open must return exactly the right data or a typed error — never
// a crash, a hang or a wrong result. The loaders under test are the ones the threads run (StoreEngine alone,
// and the split open: the facade's mirror and graph load from unverified bulk bytes while the writer
// prepares), driven in-process over in-memory files so thousands of opens take seconds; mutations alternate
// between the two. FEATHER_FUZZ_MUTATIONS sets the
// count (default 500; `pnpm test:fuzz` runs 10,000) and FEATHER_FUZZ_SEED the seed.
import {
  FeatherError,
  HnswIndex,
  KernelArena,
  memoryFileIo,
  openShared,
  readWal,
  StoreEngine,
  type EngineOpenSpec,
  type FileIo,
  type ModelOp,
  type WriteResult,
} from '@feather-db/core';
import { gaussian, seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const kPath = '/store.feather';
const kWal = `${kPath}.wal`;
const mutations = Number(process.env['FEATHER_FUZZ_MUTATIONS'] ?? 500);
const seed = Number(process.env['FEATHER_FUZZ_SEED'] ?? 424242);
const arena = KernelArena.create();

function spec(readOnly: boolean): EngineOpenSpec {
  return {
    path: kPath,
    modalities: { text: { dim: 8, metric: 'cosine' }, image: { dim: 4, metric: 'l2' } },
    m: 8,
    efConstruction: 40,
    efSearch: 32,
    modelId: 'fixture-model',
    readOnly,
    durability: 'fsync',
  };
}

function link(result: WriteResult): void {
  for (const job of result.jobs) {
    const index = HnswIndex.attach(arena, job.index);
    for (let id = job.first; id < job.first + job.count; id++) index.insertReserved(id);
  }
}

/** Builds the fixture: a saved file (with or without persisted graphs) plus a WAL of `walWrites` groups. */
function buildFixture(graph: 'always' | 'never'): { file: Uint8Array; wal: Uint8Array } {
  arena.resetForTests();
  const io = memoryFileIo();
  const engine = new StoreEngine(arena, io);
  link(engine.open(spec(false)).pending);
  const rand = seededRandom(99);
  const vec = (dim: number): Float32Array => Float32Array.from({ length: dim }, () => gaussian(rand));
  const write = (op: ModelOp, vectors: Record<string, Float32Array> = {}): void =>
    engine.writeMany([{ op, vectors, parallel: false }]).forEach(link);
  const n = 300;
  const text = new Float32Array(n * 8);
  for (let i = 0; i < n; i++) text.set(vec(8), i * 8);
  write(
    {
      type: 'upsert',
      now: 1_700_000_000_000,
      items: Array.from({ length: n }, (_, i) => ({
        id: i % 2 === 0 ? i : `m${i}`,
        modality: 'text',
        text: `memory ${i}`,
        namespace: `ns${i % 3}`,
        entity: i % 5 === 0 ? 'e' : null,
        attributes: { i, odd: i % 2 === 1 },
      })),
    },
    { text },
  );
  const images = new Float32Array(40 * 4);
  for (let i = 0; i < 40; i++) images.set(vec(4), i * 4);
  write(
    { type: 'upsert', now: 1_700_000_000_000, items: Array.from({ length: 40 }, (_, i) => ({ id: i * 2, modality: 'image' })) },
    { image: images },
  );
  write({ type: 'link', from: 0, to: 'm1', edgeType: 'next', weight: 0.5 });
  write({ type: 'forget', ids: [2, 'm3', 'm5'] });
  const rebuild = engine.beginRebuild(['image'], { modality: 'image', storage: 'int8', maxAbs: Number.POSITIVE_INFINITY });
  link(rebuild);
  engine.commitRebuild();
  engine.save(undefined, graph);
  // The WAL: six single-write groups after the save.
  write({ type: 'upsert', now: 1_700_000_100_000, items: [{ id: 'late', modality: 'text', text: 'late' }] }, { text: vec(8) });
  write({ type: 'update', id: 4, patch: { importance: 2.5, attributes: { changed: true } } });
  write({ type: 'touch', rows: [6, 7], at: 1_700_000_200_000 });
  write({ type: 'link', from: 'late', to: 4, edgeType: 'about', weight: 1 });
  write({ type: 'forget', ids: [8] });
  write({ type: 'upsert', now: 1_700_000_300_000, items: [{ id: 'last', modality: 'text', namespace: 'ns1' }] }, { text: vec(8) });
  engine.close();
  return { file: io.files.get(kPath)!, wal: io.files.get(kWal)! };
}

/**
 * The facade's open (core's openShared), in one thread: the load planned, the model sections read (COLUMNS
 * into shared memory), the mirror built from them with every check and one load task run here; then the
 * writer's prepare (its model from a copy of those COLUMNS, unchecked, and the other tasks) and open
 * (finishing the load). This thread's error wins, then the writer's, as in Feather.open.
 */
async function openSplit(engine: StoreEngine, io: FileIo): Promise<WriteResult> {
  const { opened } = await openShared(
    io,
    kPath,
    arena,
    {
      // Deferred to the first turn: the writer's share runs once this thread has built its mirror and run a task.
      prepare: (half) => Promise.resolve().then(() => engine.prepare({ ...spec(true), ...half })),
      open: (half) => Promise.resolve(engine.open({ ...spec(true), ...half })),
    },
    { tasksPerTurn: 1, turn: () => Promise.resolve() },
  );
  return opened.pending;
}

/** Opens the given bytes read-only and returns everything observable as one string, or the error code. */
async function observe(file: Uint8Array, wal: Uint8Array | undefined, split = false): Promise<string> {
  arena.resetForTests();
  const files = new Map([[kPath, file]]);
  if (wal !== undefined) files.set(kWal, wal);
  const io = memoryFileIo(files);
  const engine = new StoreEngine(arena, io);
  try {
    link(split ? await openSplit(engine, io) : engine.open(spec(true)).pending);
    const problems = engine.verify();
    if (problems.length > 0) return `INCONSISTENT ${problems.join('; ')}`;
    const rand = seededRandom(5);
    const searches: unknown[] = [];
    for (const [name, { index }] of engine.modalities()) {
      for (let q = 0; q < 5; q++) {
        const r = index.search(
          Float32Array.from({ length: index.dim }, () => gaussian(rand)),
          5,
        );
        searches.push(name, Array.from(r.rows), Array.from(r.distances));
      }
    }
    return JSON.stringify({ snapshot: Buffer.from(engine.snapshot()).toString('base64'), searches });
  } catch (error) {
    if (!(error instanceof FeatherError)) throw error;
    if (!['FEATHER_ERR_CORRUPT', 'FEATHER_ERR_FORMAT_VERSION', 'FEATHER_ERR_DIMENSION_MISMATCH'].includes(error.code)) throw error;
    if (process.env['FEATHER_FUZZ_DEBUG'] !== undefined) console.error(error.message);
    return error.code;
  }
}

type Mutation = {
  kind: 'flip' | 'zero' | 'truncate' | 'extend' | 'swap-entries';
  at: number;
  bytes: Uint8Array;
  changedFrom: number;
  changedTo: number;
};

/** The first and one-past-last differing byte of two equal-length arrays (from = to = length when equal). */
function diffRange(a: Uint8Array, b: Uint8Array): { changedFrom: number; changedTo: number } {
  let from = 0;
  while (from < a.length && a[from] === b[from]) from++;
  if (from === a.length) return { changedFrom: a.length, changedTo: a.length };
  let to = a.length;
  while (a[to - 1] === b[to - 1]) to--;
  return { changedFrom: from, changedTo: to };
}

function mutate(original: Uint8Array, rand: () => number, isFile: boolean): Mutation {
  const bytes = Uint8Array.from(original);
  const r = rand();
  const at = Math.floor(rand() * original.length);
  if (r < 0.45) {
    const count = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < count; i++) bytes[Math.min(original.length - 1, at + i * 7)] ^= 1 << Math.floor(rand() * 8);
    return { kind: 'flip', at, bytes, ...diffRange(original, bytes) };
  }
  if (r < 0.6) {
    const len = 1 + Math.floor(rand() * 64);
    bytes.fill(0, at, at + len);
    return { kind: 'zero', at, bytes, ...diffRange(original, bytes) };
  }
  if (r < 0.8) return { kind: 'truncate', at, bytes: original.slice(0, at), changedFrom: at, changedTo: original.length };
  if (r < 0.9 || !isFile) {
    const extra = Uint8Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
    const out = new Uint8Array(original.length + extra.length);
    out.set(original);
    out.set(extra, original.length);
    return { kind: 'extend', at: original.length, bytes: out, changedFrom: original.length, changedTo: original.length };
  }
  // Swap the (offset, length, crc) of two section-index entries, keeping their types and tags.
  const v = new DataView(bytes.buffer);
  const count = v.getUint32(28, true);
  const index = Number(v.getBigUint64(32, true));
  const a = Math.floor(rand() * count);
  const b = (a + 1 + Math.floor(rand() * (count - 1))) % count;
  for (let k = 8; k < 28; k++) {
    const x = bytes[index + a * 32 + k];
    bytes[index + a * 32 + k] = bytes[index + b * 32 + k]!;
    bytes[index + b * 32 + k] = x;
  }
  return { kind: 'swap-entries', at: index, bytes, ...diffRange(original, bytes) };
}

describe('corrupted files and WALs', () => {
  for (const graph of ['always', 'never'] as const) {
    it(`open correctly or fail typed, ${mutations} mutations (graph ${graph})`, { timeout: 600_000 }, async () => {
      const { file, wal } = buildFixture(graph);
      const full = await observe(file, wal);
      expect(full.startsWith('{'), full).toBe(true);
      expect(await observe(file, wal, true)).toBe(full);
      // The state after each prefix of the WAL's records (the valid outcomes of a cut or torn WAL).
      const contents = readWal(memoryFileIo(new Map([[kWal, wal]])), kWal);
      const ends = [32];
      for (const r of contents.records) ends.push(ends.at(-1)! + 28 + r.payload.length);
      const prefixes: string[] = [];
      for (const end of ends) prefixes.push(await observe(file, wal.slice(0, end)));
      expect(new Set(prefixes).size).toBe(prefixes.length);
      expect(prefixes.at(-1)).toBe(full);
      const rand = seededRandom(seed + (graph === 'always' ? 0 : 1));
      const outcomes = new Map<string, number>();
      for (let i = 0; i < mutations; i++) {
        const onFile = rand() < 0.6;
        const m = mutate(onFile ? file : wal, rand, onFile);
        const split = i % 2 === 1;
        const got = onFile ? await observe(m.bytes, wal, split) : await observe(file, m.bytes, split);
        const context = `mutation ${i} (seed ${seed}, ${split ? 'split' : 'engine'} open): ${m.kind} of the ${onFile ? 'file' : 'WAL'} at ${m.at}`;
        if (got.startsWith('INCONSISTENT')) throw new Error(`${context}: loaded an inconsistent store: ${got}`);
        const typed = got.startsWith('FEATHER_ERR_');
        outcomes.set(
          `${onFile ? 'file' : 'wal'} ${m.kind} ${typed ? got : 'data'}`,
          (outcomes.get(`${onFile ? 'file' : 'wal'} ${m.kind} ${typed ? got : 'data'}`) ?? 0) + 1,
        );
        if (typed) continue;
        if (onFile) {
          // Every byte of the file is under a checksum: changed bytes must never load.
          expect(got === full && m.changedFrom >= m.changedTo, `${context}: loaded data from a damaged file`).toBe(true);
          continue;
        }
        // WAL: a cut keeps the complete records before it; damage inside the last group (the last record)
        // is a crash's torn tail; appended garbage is ignored; anything else must fail.
        const complete = ends.filter((end) => end <= m.changedFrom).length - 1;
        const allowed =
          m.kind === 'extend'
            ? [full]
            : m.kind === 'truncate'
              ? [prefixes[Math.max(0, complete)]]
              : complete >= ends.length - 2
                ? [prefixes[complete]]
                : [];
        expect(
          allowed,
          `${context}: got a state that is not a valid prefix (record ends ${ends.join(',')}, changed ${m.changedFrom}..${m.changedTo}, got prefix ${prefixes.indexOf(got)})`,
        ).toContain(got);
      }
      expect([...outcomes.keys()].some((k) => k.includes('CORRUPT'))).toBe(true);
    });
  }
});
