// The bulk reading of an open (graph and vector sections), shared by threads: copies into the shared memory,
// checksums and node checks, in pieces claimed from a counter in that memory.
import type { KernelArena } from '../arena.js';
import { FeatherError } from '../errors.js';
import { checkRestored, checkRowMap, linkRestored } from '../hnsw/graph-restore.js';
import { checkRestoredTags } from '../hnsw/restore-tags.js';
import type { TagLimits } from '../hnsw/types.js';
import type { FileIo } from '../format/file-io.js';
import { blockHash } from '../format/block-hash.js';
import { blockListChecksum, checksum, corruptFile, kBlockBytes, sectionSeed, type SectionEntry } from '../format/store-file.js';
import { crc32Combine } from '../format/crc32-combine.js';
import { kTaskCopy, kTaskNodes, kTaskRowMap, type LoadPlan, type LoadTask } from './load-tasks.js';

// Shared state: three counters, then kTaskWords per task.
const kClaimed = 0;
const kCopied = 1;
const kLinked = 2;
const kTaskWords = 4;

/**
 * The tasks of a LoadPlan, run by any number of threads sharing the arena, in two phases. Phase one: a thread
 * claims the next task with an atomic add on a counter, reads its bytes through the descriptor the threads
 * share (into the arena, or a scratch buffer), stores their checksum (block hash or CRC-32) and, for node
 * blocks, checks them with its own kernels while they are in cache (checkRestored). Phase two,
 * once every task of phase one is done (a thread that runs out waits for the others' last ones): node ranges
 * are linked to their upper blocks (linkRestored, each range's offset the sum of the upper bytes
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
          const { deleted, upperBytes } = checkRestored(arena, g.address, t.first, t.end, g, limits);
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
      linkRestored(arena, g.address, t.first, t.end, g.count, g.upper, this.#upperAt[i], g.upperBytes);
    } else {
      Atomics.store(arena.i32, this.#at + 3 + kTaskWords * i + 3, checkRowMap(arena, g.address, g.rowMap, t.first, t.end, g.count));
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
      if (io.read(fd, into, e.offset + at) !== into.length)
        throw corruptFile(path, e.offset + at, `section type ${e.type} is cut short`, { part: 'section', type: e.type });
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
    if (Atomics.load(i32, this.#at + kCopied) < tasks.length)
      throw new FeatherError('FEATHER_ERR_INTERNAL', 'SharedLoad.verify before every task ran');
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
      if (sum !== e.crc)
        throw corruptFile(path, e.offset, `section type ${e.type} (tag ${e.tag}) checksum mismatch`, {
          part: 'section',
          type: e.type,
          tag: e.tag,
        });
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
