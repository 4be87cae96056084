// Where a search's query copy lives: views into shared slabs, not a fresh buffer each.
//
// A search copies its query (the caller may reuse its buffer at once), and a fresh 3 KiB Float32Array costs
// 2.4-4 µs here (a backing store allocated outside the heap, and external memory that brings GCs on sooner),
// against ~0.4-1 µs for a view into a slab and a copy into it: most of what a burst of 1,000 `search` calls
// spent before its first await (`benchmarks/compare/burst-issue.ts`). The slabs are SharedArrayBuffers so that a
// query posted to the reader pool is shared, not cloned with its whole slab. A slab is never written again
// once its views are handed out, and lives until the last of them is collected.

/** Bytes of one slab. */
const kSlabBytes = 1 << 20;
/** A query larger than this gets a buffer of its own (a slab still holds at least 16 such). */
const kMaxSlabQueryBytes = kSlabBytes / 16;

export class QuerySlab {
  #slab: SharedArrayBuffer | undefined;
  /** The next free byte of #slab. */
  #at = kSlabBytes;

  /** A float32 copy of `vector` (its length checked by the caller) in shared memory. */
  copy(vector: ArrayLike<number>): Float32Array {
    const bytes = vector.length * 4;
    let out: Float32Array;
    if (bytes > kMaxSlabQueryBytes) {
      out = new Float32Array(new SharedArrayBuffer(bytes));
    } else {
      if (this.#at + bytes > kSlabBytes) {
        this.#slab = new SharedArrayBuffer(kSlabBytes);
        this.#at = 0;
      }
      out = new Float32Array(this.#slab!, this.#at, vector.length);
      // 16-byte steps: every copy starts aligned for the kernels' loads.
      this.#at += (bytes + 15) & ~15;
    }
    out.set(vector);
    return out;
  }
}
