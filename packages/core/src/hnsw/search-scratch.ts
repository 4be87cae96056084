// One handle's wasm-side working memory: the kernels' scratch (visited tags, heaps, query, output) and the
// buffers a search stages in the arena (filter bitmap, scan list, a vector being encoded or decoded). Each
// grows geometrically and only when it is the one too small; a buffer it outgrows goes back to the arena.
import type { KernelArena } from '../arena.js';
import { kNRow, kScratchHeaderBytes, kSDistCount, kSOut, kSQuery, kSScreened, kTagAny, kWasmErrOutOfMemory } from '../layout.js';
import { capacityError } from './capacity-error.js';
import type { NodeFilter, SearchResult } from './types.js';

export class SearchScratch {
  readonly #arena: KernelArena;
  readonly #dim: number;
  /** The heap capacity every scratch has at least (an insert's link selection needs 2·M + 1). */
  readonly #minHeap: number;
  #scratch = 0;
  #scratchBytes = 0;
  #visitedCap = 0;
  #heapCap = 0;
  #staging = 0;
  #bitmap = 0;
  #bitmapBytes = 0;
  #list = 0;
  #listCap = 0;

  constructor(arena: KernelArena, dim: number, minHeap: number) {
    this.#arena = arena;
    this.#dim = dim;
    this.#minHeap = minHeap;
  }

  /** The kernels' scratch address (0 before the first search or insert). */
  get address(): number {
    return this.#scratch;
  }

  /** Distance computations of the last search or insert. */
  get distanceCount(): number {
    return this.#scratch === 0 ? 0 : this.#arena.u32[(this.#scratch + kSDistCount) >>> 2];
  }

  /** Candidates rejected on their int8 codes alone in the last search or insert. */
  get screenedCount(): number {
    return this.#scratch === 0 ? 0 : this.#arena.u32[(this.#scratch + kSScreened) >>> 2];
  }

  /** A scratch with room for `nodes` visited tags and heaps of `heapCap` entries; returns its address. */
  ensure(nodes: number, heapCap: number): number {
    if (this.#scratch !== 0 && nodes <= this.#visitedCap && heapCap <= this.#heapCap) return this.#scratch;
    // A search with a larger ef must not double the visited set too.
    const visitedCap = nodes <= this.#visitedCap ? this.#visitedCap : Math.max(nodes, this.#visitedCap * 2, 1024);
    const cap = heapCap <= this.#heapCap ? this.#heapCap : Math.max(heapCap, this.#heapCap * 2, this.#minHeap, 256);
    const s = this.#arena.wasm.scratchCreate(visitedCap, cap, this.#dim) >>> 0;
    if (s === 0) throw capacityError('allocate search scratch', kWasmErrOutOfMemory);
    // Only this handle's thread ever uses its scratch, and it has moved to the new one.
    this.#arena.free(this.#scratch, this.#scratchBytes);
    this.#scratch = s;
    this.#scratchBytes = scratchBytes(visitedCap, cap, this.#dim);
    this.#visitedCap = visitedCap;
    this.#heapCap = cap;
    return s;
  }

  /**
   * Gives every buffer back to the arena (the handle is being dropped: its index was retired). The handle
   * allocates afresh if it is used again.
   */
  release(): void {
    const a = this.#arena;
    a.free(this.#scratch, this.#scratchBytes);
    if (this.#staging !== 0) a.free(this.#staging, this.#dim * 4);
    a.free(this.#bitmap, this.#bitmapBytes);
    a.free(this.#list, this.#listCap * 4);
    this.#scratch = this.#scratchBytes = this.#visitedCap = this.#heapCap = 0;
    this.#staging = this.#bitmap = this.#bitmapBytes = this.#list = this.#listCap = 0;
  }

  /** Word index of the scratch's query buffer (a scratch must exist). */
  get queryWord(): number {
    return this.#arena.u32[(this.#scratch + kSQuery) >>> 2] >>> 2;
  }

  /** A `dim`-float buffer for encoding or decoding one vector; returns its address. */
  staging(): number {
    if (this.#staging === 0) this.#staging = this.#arena.alloc(this.#dim * 4);
    return this.#staging;
  }

  /** Sets the filter the next searches apply to their results (tags; a row bitmap copied into the arena). */
  setFilter(filter: NodeFilter | undefined): void {
    let bitmap = 0;
    let bits = 0;
    if (filter?.rows !== undefined) {
      const bytes = filter.rows.length;
      if (bytes > this.#bitmapBytes) {
        this.#arena.free(this.#bitmap, this.#bitmapBytes);
        this.#bitmapBytes = Math.max(bytes, this.#bitmapBytes * 2, 4096);
        this.#bitmap = this.#arena.alloc(this.#bitmapBytes);
      }
      new Uint8Array(this.#arena.u32.buffer, this.#bitmap, bytes).set(filter.rows);
      bitmap = this.#bitmap;
      bits = bytes * 8;
    }
    this.#arena.wasm.setFilter(this.#scratch, filter?.namespace ?? kTagAny, filter?.entity ?? kTagAny, bitmap, bits);
  }

  /** Copies node ids into the arena for a scan; returns their address. */
  list(nodes: Uint32Array): number {
    if (nodes.length > this.#listCap) {
      this.#arena.free(this.#list, this.#listCap * 4);
      this.#listCap = Math.max(nodes.length, this.#listCap * 2, 1024);
      this.#list = this.#arena.alloc(this.#listCap * 4);
    }
    this.#arena.u32.set(nodes, this.#list >>> 2);
    return this.#list;
  }

  /** The `n` results the kernels wrote to the output buffer, with each node's row (node blocks via `nodeAt`). */
  results(n: number, nodeAt: (id: number) => number): SearchResult {
    const u32 = this.#arena.u32;
    const f32 = this.#arena.f32;
    const out = u32[(this.#scratch + kSOut) >>> 2] >>> 2;
    const ids = new Uint32Array(n);
    const rows = new Uint32Array(n);
    const distances = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const id = u32[out + 2 * i];
      ids[i] = id;
      rows[i] = u32[(nodeAt(id) + kNRow) >>> 2]!;
      distances[i] = f32[out + 2 * i + 1]!;
    }
    return { ids, rows, distances };
  }
}

/** Bytes the kernels' scratchCreate allocates for these sizes (kernels/assembly/scratch.ts, same sums). */
function scratchBytes(visitedCap: number, heapCap: number, dim: number): number {
  const align64 = (x: number): number => Math.ceil(x / 64) * 64;
  const heapBytes = align64(heapCap * 8);
  const queryBytes = align64(dim * 4);
  return (
    kScratchHeaderBytes +
    align64(visitedCap * 2) +
    heapBytes * 4 +
    heapBytes * 3 +
    queryBytes * 2 +
    align64(16 + Math.ceil(dim / 16) * 16) +
    align64(heapCap * 4)
  );
}
