// Where a search's query copy lives: views into shared slabs, not a fresh buffer each.
//
// A search copies its query (the caller may reuse its buffer at once), and a fresh 3 KiB Float32Array costs
// 2.4-4 µs here (a backing store allocated outside the heap, and external memory that brings GCs on sooner),
// against ~0.4-1 µs for a view into a slab and a copy into it: most of what a burst of 1,000 `search` calls
// spent before its first await (`benchmarks/compare/burst-issue.ts`). The slabs are SharedArrayBuffers so that a
// query posted to the reader pool is shared, not cloned with its whole slab. A slab is written again only once
// every copy in it has been released (QuerySlab below).

/** Bytes of one slab. */
const kSlabBytes = 1 << 20;
/** A query larger than this gets a buffer of its own (a slab still holds at least 16 such). */
const kMaxSlabQueryBytes = kSlabBytes / 16;
/** Full slabs watched for their last release (older ones are left to the GC); and emptied slabs kept for reuse. */
const kMaxWatched = 16;
const kMaxSpare = 4;

interface Slab {
  buffer: SharedArrayBuffer;
  /** Copies handed out and not released yet. */
  out: number;
}

/**
 * Query copies in shared slabs, which are reused once every copy taken from one is released. A fresh slab's
 * pages fault in as its copies are written, ~1.3-2 µs per 3 KiB query on this VM (against ~0.35 µs into a slab
 * already touched), so a burst of 784-d searches wrote most of its issue time into new pages. A copy is
 * released (release()) only by a search that has completed, when no thread reads it any more; a copy that is
 * never released (the search failed or was aborted, and a pool thread may still read it) keeps its slab from
 * reuse, and the GC takes that slab once its views are gone, as it takes every slab past kMaxWatched.
 */
export class QuerySlab {
  #slab: Slab | undefined;
  /** The next free byte of #slab. */
  #at = kSlabBytes;
  /** Full slabs with copies out, oldest first. */
  readonly #watched: Slab[] = [];
  /** Slabs with no copy out, to fill again. */
  readonly #spare: Slab[] = [];

  /** A float32 copy of `vector` (its length checked by the caller) in shared memory. */
  copy(vector: ArrayLike<number>): Float32Array {
    const bytes = vector.length * 4;
    let out: Float32Array;
    if (bytes > kMaxSlabQueryBytes) {
      out = new Float32Array(new SharedArrayBuffer(bytes));
    } else {
      if (this.#at + bytes > kSlabBytes) this.#next();
      const slab = this.#slab!;
      out = new Float32Array(slab.buffer, this.#at, vector.length);
      slab.out++;
      // 16-byte steps: every copy starts aligned for the kernels' loads.
      this.#at += (bytes + 15) & ~15;
    }
    out.set(vector);
    return out;
  }

  /** Gives back a copy no thread reads any more (its search has completed): its bytes may be written again. */
  release(copy: Float32Array): void {
    const buffer = copy.buffer;
    if (this.#slab?.buffer === buffer) {
      this.#slab.out--;
      return;
    }
    const at = this.#watched.findIndex((slab) => slab.buffer === buffer);
    if (at < 0) return;
    const slab = this.#watched[at]!;
    if (--slab.out > 0) return;
    this.#watched.splice(at, 1);
    if (this.#spare.length < kMaxSpare) this.#spare.push(slab);
  }

  /** Retires the current slab (to the spares when nothing of it is out, else watched) and takes the next. */
  #next(): void {
    const full = this.#slab;
    if (full !== undefined) {
      if (full.out === 0) this.#spare.push(full);
      else if (this.#watched.push(full) > kMaxWatched) this.#watched.shift();
    }
    this.#slab = this.#spare.pop() ?? { buffer: new SharedArrayBuffer(kSlabBytes), out: 0 };
    this.#at = 0;
  }
}
