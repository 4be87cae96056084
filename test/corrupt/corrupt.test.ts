// Corruption suite: random byte flips, zeroed ranges, truncations, extensions and section-entry swaps of a
// valid .feather file and of its WAL. Every open must return exactly the right data or a typed error — never
// a crash, a hang or a wrong result. The loaders under test are the ones the threads run (StoreEngine alone,
// and the split open: the facade's mirror and graph load from unverified bulk bytes while the writer
// prepares), driven in-process over in-memory files so thousands of opens take seconds; mutations alternate
// between the two. Resealed mutations recompute every checksum so the structural validators behind them are
// reached; a second fixture spans several checksum blocks per bulk section. FEATHER_FUZZ_MUTATIONS sets the
// count (default 500; `pnpm test:fuzz` runs 10,000), FEATHER_FUZZ_LARGE_MUTATIONS the large fixture's, and
// FEATHER_FUZZ_SEED the seed (drawn and printed when unset).
import {
  FeatherError,
  HnswIndex,
  kBulkSections,
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
import { gaussian, seededRandom, suiteCount, suiteSeed } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { resealedFileMutation, resealedWalMutation, resealFile, sectionsOf } from './reseal.js';

const kPath = '/store.feather';
const kWal = `${kPath}.wal`;
const mutations = suiteCount('FEATHER_FUZZ_MUTATIONS', 500);
const seed = suiteSeed('corrupt', 'FEATHER_FUZZ_SEED');
const arena = KernelArena.create();

/** The text modality's dim: 8 for the small fixture, 64 for the one whose bulk sections span several blocks. */
let textDim = 8;

function spec(readOnly: boolean): EngineOpenSpec {
  return {
    path: kPath,
    modalities: { text: { dim: textDim, metric: 'cosine' }, image: { dim: 4, metric: 'l2' } },
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

/**
 * Builds the fixture: a saved file (with or without persisted graphs) of `n` text memories plus a WAL of
 * single-write groups and groups of several records (the last one among them).
 */
function buildFixture(graph: 'always' | 'never', n = 300): { file: Uint8Array; wal: Uint8Array } {
  arena.resetForTests();
  const io = memoryFileIo();
  const engine = new StoreEngine(arena, io);
  link(engine.open(spec(false)).pending);
  const rand = seededRandom(99);
  const vec = (dim: number): Float32Array => Float32Array.from({ length: dim }, () => gaussian(rand));
  const write = (op: ModelOp, vectors: Record<string, Float32Array> = {}): void =>
    engine.writeMany([{ op, vectors, parallel: false }]).forEach(link);
  const text = new Float32Array(n * textDim);
  for (let i = 0; i < n; i++) text.set(vec(textDim), i * textDim);
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
  // The WAL after the save: single-write groups, a group of two in the middle, and a group of three last.
  const group = (ops: { op: ModelOp; vectors?: Record<string, Float32Array> }[]): void =>
    engine.writeMany(ops.map(({ op, vectors }) => ({ op, vectors: vectors ?? {}, parallel: false }))).forEach(link);
  write({ type: 'upsert', now: 1_700_000_100_000, items: [{ id: 'late', modality: 'text', text: 'late' }] }, { text: vec(textDim) });
  group([
    { op: { type: 'update', id: 4, patch: { importance: 2.5, attributes: { changed: true } } } },
    { op: { type: 'touch', rows: [6, 7], at: 1_700_000_200_000 } },
  ]);
  write({ type: 'link', from: 'late', to: 4, edgeType: 'about', weight: 1 });
  group([
    { op: { type: 'forget', ids: [8] } },
    {
      op: { type: 'upsert', now: 1_700_000_300_000, items: [{ id: 'last', modality: 'text', namespace: 'ns1' }] },
      vectors: { text: vec(textDim) },
    },
    { op: { type: 'update', id: 'last', patch: { text: 'the very last' } } },
  ]);
  engine.close();
  return { file: io.files.get(kPath)!, wal: io.files.get(kWal)! };
}

/**
 * The facade's open (core's openShared), in one thread: the load planned, the model sections read (COLUMNS
 * into shared memory), the mirror built from them with every check and one load task run here; then the
 * writer's prepare (its model over those COLUMNS, unchecked, and the other tasks) and open
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
      // The first record of the last group: damage from there on is a crash's torn tail.
      const wv = new DataView(wal.buffer, wal.byteOffset, wal.byteLength);
      const groupStarts = ends.slice(0, -1).map((at) => Number(wv.getBigUint64(at + 16, true)));
      const lastGroupFirst = groupStarts.indexOf(groupStarts.at(-1)!);
      expect(lastGroupFirst, 'the fixture ends with a group of several records').toBeLessThan(groupStarts.length - 1);
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
        // WAL: a cut keeps the complete records before it; damage inside the last group (any of its records)
        // is a crash's torn tail, cut from the damaged record on; appended garbage is ignored; anything else
        // must fail.
        const complete = ends.filter((end) => end <= m.changedFrom).length - 1;
        const allowed =
          m.kind === 'extend'
            ? [full]
            : m.kind === 'truncate'
              ? [prefixes[Math.max(0, complete)]]
              : complete >= lastGroupFirst
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

/** Opens a mutated file or WAL that passed every checksum: a typed error or a consistent store, never a crash. */
function expectTypedOrConsistent(got: string, context: string, outcomes: Map<string, number>): void {
  if (got.startsWith('INCONSISTENT')) throw new Error(`${context}: loaded an inconsistent store: ${got}`);
  const key = got.startsWith('FEATHER_ERR_') ? got : 'loaded';
  outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
}

describe('resealed mutations (every checksum recomputed)', () => {
  for (const graph of ['always', 'never'] as const) {
    it(
      `reach the structural validators: typed errors or consistent stores, ${Math.ceil(mutations / 2)} mutations (graph ${graph})`,
      { timeout: 600_000 },
      async () => {
        textDim = 8;
        const { file, wal } = buildFixture(graph);
        // Resealing an unchanged file changes nothing (the helper recomputes what the writer computed).
        const same = Uint8Array.from(file);
        resealFile(same);
        expect(Buffer.compare(same, file)).toBe(0);
        const rand = seededRandom(seed + (graph === 'always' ? 10 : 11));
        const outcomes = new Map<string, number>();
        for (let i = 0; i < Math.ceil(mutations / 2); i++) {
          const onFile = rand() < 0.7;
          const m = onFile ? resealedFileMutation(file, rand) : resealedWalMutation(wal, rand);
          const split = i % 2 === 1;
          const context = `resealed mutation ${i} (seed ${seed}) of the ${onFile ? 'file' : 'WAL'} at ${m.at}`;
          expectTypedOrConsistent(onFile ? await observe(m.bytes, wal, split) : await observe(file, m.bytes, split), context, outcomes);
        }
        // Past the checksums, the validators reject: a typed error here came from a structural check.
        expect(outcomes.get('FEATHER_ERR_CORRUPT') ?? 0, JSON.stringify([...outcomes])).toBeGreaterThan(0);
      },
    );
  }
});

describe('a store whose bulk sections span several checksum blocks', () => {
  const large = suiteCount('FEATHER_FUZZ_LARGE_MUTATIONS', 24);
  // Without persisted graphs every open rebuilds 12,000 nodes (seconds here): that fixture runs only when
  // FEATHER_FUZZ_LARGE_MUTATIONS is set (test:fuzz), with a sixth of the count.
  const cases: ['always' | 'never', number][] = [['always', large]];
  if (process.env['FEATHER_FUZZ_LARGE_MUTATIONS'] !== undefined) cases.push(['never', Math.ceil(large / 6)]);
  for (const [graph, count] of cases) {
    it(
      `opens correctly or fails typed, ${count} plain and ${count} resealed mutations (graph ${graph})`,
      { timeout: 600_000 },
      async () => {
        textDim = 64;
        try {
          const { file, wal } = buildFixture(graph, 12_000);
          const spans = sectionsOf(file);
          // NODES (graph persisted) or VECTORS (not) of the text modality: several 1 MiB blocks each.
          const bulk = spans.filter((s) => kBulkSections.includes(s.type) && s.length > 3 * (1 << 20) * 0.9);
          expect(bulk.length, JSON.stringify(spans)).toBeGreaterThan(0);
          const full = await observe(file, wal);
          expect(full.startsWith('{'), full).toBe(true);
          expect(await observe(file, wal, true)).toBe(full);
          const rand = seededRandom(seed + (graph === 'always' ? 20 : 21));
          const outcomes = new Map<string, number>();
          for (let i = 0; i < count; i++) {
            // A flip in a bulk section's later blocks: its block hash must catch it.
            const plain = Uint8Array.from(file);
            const section = bulk[Math.floor(rand() * bulk.length)];
            const at = section.offset + Math.floor(rand() * section.length);
            plain[at] ^= 1 << Math.floor(rand() * 8);
            expect(await observe(plain, wal, i % 2 === 1), `plain flip ${i} at ${at} (seed ${seed})`).toBe('FEATHER_ERR_CORRUPT');
            const m = resealedFileMutation(file, rand, (s) => kBulkSections.includes(s.type));
            expectTypedOrConsistent(await observe(m.bytes, wal, i % 2 === 0), `resealed mutation ${i} (seed ${seed}) at ${m.at}`, outcomes);
          }
        } finally {
          textDim = 8;
        }
      },
    );
  }
});
