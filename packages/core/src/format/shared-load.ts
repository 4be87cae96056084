// The bulk reading of an open (graph and vector sections), shared by threads: copies into the shared memory,
// checksums and node checks, in pieces claimed from a counter in that memory.
import { checkRestoredTags } from '../hnsw/restore-tags.js';
import type { KernelArena } from '../arena.js';
import { HnswIndex, type GraphHeader, type TagLimits } from '../hnsw/hnsw-index.js';
import type { FileIo } from './file-io.js';
import { blockHash } from './block-hash.js';
import { blockListChecksum, checksum, corruptFile, kBlockBytes, sectionSeed, type SectionEntry } from './store-file.js';

/** x·M over GF(2): the rows of M selected by the bits of x. */
function gf2Times(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let i = 0, v = vector >>> 0; v !== 0; i++, v >>>= 1) if ((v & 1) !== 0) sum ^= matrix[i];
  return sum >>> 0;
}

function gf2Square(square: Uint32Array, matrix: Uint32Array): void {
  for (let n = 0; n < 32; n++) square[n] = gf2Times(matrix, matrix[n]);
}

/** Operators "append n zero bytes" by n: an open combines hundreds of slices of a handful of lengths. */
const kShiftCache = new Map<number, Uint32Array>();

/** The 32×32 GF(2) matrix that appends `len` zero bytes to a CRC-32 register (zlib's crc32_combine operator). */
function zerosOperator(len: number): Uint32Array {
  let cached: Uint32Array | undefined = kShiftCache.get(len);
  if (cached !== undefined) return cached;
  let power: Uint32Array = new Uint32Array(32); // the operator for one zero bit, squared up to one zero byte below
  power[0] = 0xedb8_8320; // the CRC-32 polynomial
  for (let n = 1, row = 1; n < 32; n++, row *= 2) power[n] = row;
  for (let i = 0; i < 3; i++) power = squared(power);
  // The product of the powers 2^k (in bytes) for the bits k of len; each starts as the identity.
  let result: Uint32Array | undefined;
  for (let left = len; left > 0; left = Math.floor(left / 2)) {
    if (left % 2 === 1) result = result === undefined ? power.slice() : times(power, result);
    if (left > 1) power = squared(power);
  }
  cached = result ?? Uint32Array.from({ length: 32 }, (_, n) => 2 ** n);
  if (kShiftCache.size >= 64) kShiftCache.clear();
  kShiftCache.set(len, cached);
  return cached;
}

/** A·B (apply B, then A). */
function times(a: Uint32Array, b: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  for (let n = 0; n < 32; n++) out[n] = gf2Times(a, b[n]);
  return out;
}

function squared(matrix: Uint32Array): Uint32Array {
  const out = new Uint32Array(32);
  gf2Square(out, matrix);
  return out;
}

/**
 * The CRC-32 of A followed by B, from crc(A), crc(B) and B's length (zlib's crc32_combine: apply the operator
 * "append len2 zero bytes" to crc1, then xor crc2). With crc1 = a section's seed, this is the section's
 * checksum of B.
 */
export function crc32Combine(crc1: number, crc2: number, len2: number): number {
  if (len2 <= 0) return crc1 >>> 0;
  return (gf2Times(zerosOperator(len2), crc1) ^ crc2) >>> 0;
}
/** What a task checks besides its checksum: nothing, node blocks, or a row map's slots. */
export const kTaskCopy = 0;
export const kTaskNodes = 1;
export const kTaskRowMap = 2;

/**
 * One piece of an open's bulk reading: bytes [offset, offset + length) of section `entry` (one checksum block
 * in format 3), copied into the shared memory at `spans` ([address, bytes] pairs in order, adding up to
 * `length`; empty: only checksummed, through a scratch buffer). `kind` kTaskNodes: the bytes are nodes
 * [first, end) of graph `graph`; kTaskRowMap: rows [first, end) of its row map.
 */
export interface LoadTask {
  entry: number;
  offset: number;
  length: number;
  spans: number[];
  kind: number;
  graph: number;
  first: number;
  end: number;
}

/** A graph being restored: where it lives in the shared memory and what the checks need of its header. */
export interface PlannedGraph {
  address: number;
  count: number;
  maxLevel: number;
  /** The upper blocks' arena address and length. */
  upper: number;
  upperBytes: number;
  /** The row map's chunk table. */
  rowMap: number;
}

/** How a modality's graph is loaded: restored (`graph` ≥ 0: its PlannedGraph), else rebuilt from vectors. */
export interface PlannedModality {
  header: GraphHeader;
  graph: number;
  /** The row map's length in the file and the section's offset (for errors). */
  rowMapBytes: number;
  rowMapOffset: number;
}

/** An open's bulk reading as plain data (it travels to the writer with the open spec). */
export interface LoadPlan {
  entries: SectionEntry[];
  tasks: LoadTask[];
  graphs: PlannedGraph[];
  /** By modality tag. */
  modalities: PlannedModality[];
  /** Format 3: each task is one block and its checksum the block hash (else CRC-32 pieces, combined). */
  blocks: boolean;
  /** Address of the shared state in the arena (SharedLoad.stateBytes). */
  state: number;
}

// Shared state: three counters, then kTaskWords per task.
const kClaimed = 0;
const kCopied = 1;
const kLinked = 2;
const kTaskWords = 4;

/**
 * The tasks of a LoadPlan, run by any number of threads sharing the arena, in two phases. Phase one: a thread
 * claims the next task with an atomic add on a counter, reads its bytes through the descriptor the threads
 * share (into the arena, or a scratch buffer), stores their checksum (block hash or CRC-32) and, for node
 * blocks, checks them with its own kernels while they are in cache (HnswIndex.checkRestored). Phase two,
 * once every task of phase one is done (a thread that runs out waits for the others' last ones): node ranges
 * are linked to their upper blocks (HnswIndex.linkRestored, each range's offset the sum of the upper bytes
 * before it) and row map slots checked against the nodes, claimed the same way. Then one thread checks each
 * section's checksum against the section index (verify) and publishes (GraphLoad.finish). During an open,
 * the main thread and the writer share the tasks (docs/format.md, "Opening").
 */
export class SharedLoad {
  readonly #plan: LoadPlan;
  readonly #arena: KernelArena;
  readonly #at: number;
  #scratch: Uint8Array | undefined;
  /** Per task, the upper-block offset of its nodes (computed when this thread enters phase two). */
  #upperAt: Float64Array | undefined;

  constructor(plan: LoadPlan, arena: KernelArena) {
    this.#plan = plan;
    this.#arena = arena;
    this.#at = plan.state >>> 2;
  }

  /** Bytes of shared state a plan of `tasks` tasks needs. */
  static stateBytes(tasks: number): number {
    return (3 + kTaskWords * tasks) * 4;
  }

  /** Every task of both phases claimed (or the load abandoned): work() has nothing left to start. */
  get finished(): boolean {
    return Atomics.load(this.#arena.i32, this.#at + kLinked) >= this.#plan.tasks.length;
  }

  /**
   * Runs tasks until none is left or `limit` are done; returns how many this call ran. When phase one is out
   * of tasks but another thread is still finishing one, `wait` blocks until it is done (a worker), else the
   * call returns (the main thread calls again after a turn of its event loop; see `finished`). `limits` bound
   * the node tags (the calling thread's model). A failure stops every thread (abandon) and throws.
   * @throws FEATHER_ERR_CORRUPT when a piece cannot be read whole or fails a check.
   */
  work(io: FileIo, fd: number, path: string, limits: TagLimits, limit: number = Number.POSITIVE_INFINITY, wait = false): number {
    const { tasks, entries, graphs } = this.#plan;
    const arena = this.#arena;
    const at = this.#at;
    let done = 0;
    try {
      while (done < limit && Atomics.load(arena.i32, at + kClaimed) < tasks.length) {
        const i = Atomics.add(arena.i32, at + kClaimed, 1);
        if (i >= tasks.length) break;
        const t = tasks[i];
        const sum = this.#copy(io, fd, path, entries[t.entry], t);
        const word = at + 3 + kTaskWords * i;
        const i32 = arena.i32;
        // Atomic stores: the threads of phase two and the verifying thread read them after the count below.
        Atomics.store(i32, word, sum | 0);
        if (t.kind === kTaskNodes) {
          const g = graphs[t.graph];
          const { deleted, upperBytes } = HnswIndex.checkRestored(arena, g.address, t.first, t.end, g, limits);
          if (limits.tagsMatch !== undefined) checkRestoredTags(arena, g.address, t.first, t.end, limits.tagsMatch);
          Atomics.store(i32, word + 1, deleted);
          Atomics.store(i32, word + 2, upperBytes | 0);
        }
        // The last copy wakes a thread waiting for phase two.
        if (Atomics.add(i32, at + kCopied, 1) === tasks.length - 1) Atomics.notify(i32, at + kCopied);
        done++;
      }
      while (done < limit && !this.finished) {
        const copied = Atomics.load(arena.i32, at + kCopied);
        if (copied < tasks.length) {
          if (!wait) break;
          Atomics.wait(arena.i32, at + kCopied, copied, 1);
          continue;
        }
        const i = Atomics.add(arena.i32, at + kLinked, 1);
        if (i >= tasks.length) break;
        this.#link(i);
        done++;
      }
    } catch (error) {
      this.abandon();
      throw error;
    }
    return done;
  }

  /** Phase two of task `i`. */
  #link(i: number): void {
    const t = this.#plan.tasks[i];
    if (t.kind === kTaskCopy) return;
    const arena = this.#arena;
    const g = this.#plan.graphs[t.graph];
    if (t.kind === kTaskNodes) {
      this.#upperAt ??= this.#upperOffsets();
      HnswIndex.linkRestored(arena, g.address, t.first, t.end, g.count, g.upper, this.#upperAt[i], g.upperBytes);
    } else {
      Atomics.store(arena.i32, this.#at + 3 + kTaskWords * i + 3, HnswIndex.checkRowMap(arena, g.address, g.rowMap, t.first, t.end, g.count));
    }
  }

  #upperOffsets(): Float64Array {
    const i32 = this.#arena.i32;
    const offsets = new Float64Array(this.#plan.tasks.length);
    const sums = new Float64Array(this.#plan.graphs.length);
    this.#plan.tasks.forEach((t, i) => {
      if (t.kind !== kTaskNodes) return;
      offsets[i] = sums[t.graph];
      sums[t.graph] += i32[this.#at + 3 + kTaskWords * i + 2] >>> 0;
    });
    return offsets;
  }

  /** Reads task `t` into its spans (or the scratch buffer) and returns its checksum. */
  #copy(io: FileIo, fd: number, path: string, e: SectionEntry, t: LoadTask): number {
    const read = (into: Uint8Array, at: number): void => {
      if (io.read(fd, into, e.offset + at) !== into.length) throw corruptFile(path, e.offset + at, `section type ${e.type} is cut short`, { part: 'section', type: e.type });
    };
    const blocks = this.#plan.blocks;
    if (t.spans.length === 0) {
      const piece = (this.#scratch ??= new Uint8Array(kBlockBytes)).subarray(0, t.length);
      read(piece, t.offset);
      return blocks ? blockHash(piece) : checksum(piece);
    }
    const wasm = this.#arena.wasm;
    const buffer = this.#arena.u32.buffer;
    let crc = 0;
    if (blocks) wasm.hashBegin();
    for (let s = 0, at = t.offset; s < t.spans.length; s += 2) {
      const [address, bytes] = [t.spans[s], t.spans[s + 1]];
      const span = new Uint8Array(buffer, address, bytes);
      read(span, at);
      at += bytes;
      // The bytes are hashed right after the read, while they are in cache.
      if (!blocks) crc = checksum(span, crc);
      else if (s + 2 < t.spans.length) wasm.hashStripes(address, bytes);
      else return wasm.hashEnd(address, bytes, t.length) >>> 0;
    }
    return crc;
  }

  /** Leaves the remaining tasks unclaimed: every thread's work() returns after its current task. */
  abandon(): void {
    const i32 = this.#arena.i32;
    Atomics.store(i32, this.#at + kClaimed, this.#plan.tasks.length);
    Atomics.store(i32, this.#at + kLinked, this.#plan.tasks.length);
    Atomics.notify(i32, this.#at + kCopied);
  }

  /**
   * Checks each section's checksum (its tasks' block hashes, or their CRCs combined) against its index entry.
   * Call once every thread's work() has returned with every task done.
   * @throws FEATHER_ERR_CORRUPT naming the first section whose bytes do not match.
   */
  verify(path: string): void {
    const { tasks, entries, blocks } = this.#plan;
    const i32 = this.#arena.i32;
    if (Atomics.load(i32, this.#at + kCopied) < tasks.length) throw new Error('SharedLoad.verify before every task ran');
    const sums = tasks.map((_, i) => i32[this.#at + 3 + kTaskWords * i] >>> 0);
    entries.forEach((e, entry) => {
      let sum: number;
      if (blocks) {
        sum = blockListChecksum(e.type, e.tag, Uint32Array.from(sums.filter((_, i) => tasks[i].entry === entry)));
      } else {
        sum = sectionSeed(e.type, e.tag);
        tasks.forEach((t, i) => {
          if (t.entry === entry) sum = crc32Combine(sum, sums[i], t.length);
        });
      }
      if (sum !== e.crc) throw corruptFile(path, e.offset, `section type ${e.type} (tag ${e.tag}) checksum mismatch`, { part: 'section', type: e.type, tag: e.tag });
    });
  }

  /** What the checks of graph `graph` counted: tombstones, upper-block bytes, mapped rows (after every task ran). */
  totals(graph: number): { deleted: number; upperBytes: number; mapped: number } {
    const i32 = this.#arena.i32;
    let deleted = 0;
    let upperBytes = 0;
    let mapped = 0;
    this.#plan.tasks.forEach((t, i) => {
      if (t.graph !== graph) return;
      const word = this.#at + 3 + kTaskWords * i;
      if (t.kind === kTaskNodes) {
        deleted += i32[word + 1];
        upperBytes += i32[word + 2] >>> 0;
      } else if (t.kind === kTaskRowMap) {
        mapped += i32[word + 3];
      }
    });
    return { deleted, upperBytes, mapped };
  }
}

/**
 * Tasks covering section `entry` (`length` bytes) in blocks of `blockBytes`, each copied into `regions`
 * (arena regions that receive the section's bytes in order; none: checksummed only). For block-hashed
 * sections every span but a task's last must be whole 64-byte stripes, which the regions' sizes ensure.
 */
export function cutTasks(entry: number, length: number, blockBytes: number, regions: readonly { at: number; bytes: number }[]): LoadTask[] {
  const tasks: LoadTask[] = [];
  let region = 0;
  let into = 0;
  for (let offset = 0; offset < length; offset += blockBytes) {
    const size = Math.min(blockBytes, length - offset);
    const spans: number[] = [];
    for (let left = size; left > 0 && regions.length > 0; ) {
      const r = regions[region];
      if (r === undefined) throw new Error(`cutTasks: regions hold fewer than ${length} bytes`);
      const take = Math.min(left, r.bytes - into);
      spans.push(r.at + into, take);
      left -= take;
      into += take;
      if (into === r.bytes) {
        region++;
        into = 0;
      }
    }
    tasks.push({ entry, offset, length: size, spans, kind: kTaskCopy, graph: -1, first: 0, end: 0 });
  }
  return tasks;
}

/**
 * The block hashes of a section whose bytes lie in the arena, in `regions` (in order, each a whole number of
 * 64-byte stripes but the last), hashed by the kernels: what a save of node blocks checksums with, instead of
 * hashing the same bytes in JavaScript.
 */
export function arenaBlockHashes(arena: KernelArena, regions: readonly { at: number; bytes: number }[], blockBytes: number): Uint32Array {
  const length = regions.reduce((n, r) => n + r.bytes, 0);
  const wasm = arena.wasm;
  return Uint32Array.from(cutTasks(0, length, blockBytes, regions), (t) => {
    wasm.hashBegin();
    for (let s = 0; s + 2 < t.spans.length; s += 2) wasm.hashStripes(t.spans[s], t.spans[s + 1]);
    const last = t.spans.length - 2;
    return wasm.hashEnd(t.spans[last], t.spans[last + 1], t.length) >>> 0;
  });
}
