// Arrays that grow in place, and large arrays that do not go through malloc. A record column that doubled by
// copying handed its old array back to the C allocator, and glibc keeps freed blocks of a few MiB in its heaps
// (after the first large free it serves blocks of that size from a heap instead of fresh mappings), so a store
// grown to 1M rows held ~100 MiB of holes beside its columns, and every save's temporary arrays added more
// (benchmarks/RESULTS.md, "Does db.ingest hold memory flat?"). A resizable ArrayBuffer is mapped by V8's page
// allocator: it reserves address space once and commits pages as it is resized, so growing copies nothing and
// frees nothing, capacity not yet written costs no memory, and a buffer dropped is unmapped whole.
// Element reads through such a view cost ~1.5x a plain array's in a tight loop (V8 11); the records read a few
// rows per operation, where it does not show.

type Column = Uint8Array | Uint32Array | Int32Array | Float32Array | Float64Array;

interface ColumnType<T extends Column> {
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * Address space a column reserves, as a multiple of the capacity asked for: a column outgrows its reservation
 * (and is copied once) at most every 16× of growth. Reservations count against V8's process-wide limit on
 * reserved backing stores (shared with wasm memories), so they stay proportional to the data.
 */
const kReserveFactor = 16;
/** The smallest reservation, in elements. */
const kMinReserve = 1 << 16;
/** V8's largest resizable ArrayBuffer here. */
const kMaxBytes = 2 ** 32;

/**
 * `a` with room for `capacity` elements, its first `keep` kept: the same memory resized when it is a resizable
 * buffer with room, otherwise a new one (reserving room to grow) with those elements copied in.
 */
export function grownColumn<T extends Column>(a: T, type: ColumnType<T>, capacity: number, keep: number): T {
  const bytes = capacity * type.BYTES_PER_ELEMENT;
  const buffer = a.buffer;
  if (buffer instanceof ArrayBuffer && buffer.resizable && a.byteOffset === 0 && bytes <= buffer.maxByteLength) {
    buffer.resize(Math.max(bytes, buffer.byteLength));
    return new type(buffer, 0, capacity);
  }
  const next = growableColumn(type, capacity);
  next.set(a.subarray(0, keep));
  if (buffer instanceof ArrayBuffer && scratch.delete(buffer)) {
    // Scratch has one owner, who has just let go of the old array: its pages go now, the new one is scratch.
    if (buffer.resizable) buffer.resize(0);
    if (next.buffer instanceof ArrayBuffer) scratch.add(next.buffer);
  }
  return next;
}

/** A zeroed column of `capacity` elements from the page allocator, with room reserved to grow in place. */
export function growableColumn<T extends Column>(type: ColumnType<T>, capacity: number): T {
  return pageArray(type, capacity, Math.max(capacity * kReserveFactor, kMinReserve));
}

/**
 * `a` itself, or when it views shared memory (the COLUMNS bytes an open's two models decode, see
 * MemoryModel's "borrowed" columns) a copy of it in this thread's memory: page-allocated, and `growable`
 * (room reserved to grow in place, as a record column needs) or not.
 */
export function unsharedColumn<T extends Column>(a: T, type: ColumnType<T>, growable = true): T {
  if (!(a.buffer instanceof SharedArrayBuffer)) return a;
  const copy = growable ? growableColumn(type, a.length) : pageArray(type, a.length);
  copy.set(a);
  return copy;
}

/**
 * A zeroed column of `length` elements from the page allocator (not malloc), able to grow in place to
 * `reserve` elements; where the reservation is refused, a plain array.
 */
export function pageArray<T extends Column>(type: ColumnType<T>, length: number, reserve: number = length): T {
  const bytes = length * type.BYTES_PER_ELEMENT;
  const max = Math.min(kMaxBytes, Math.max(bytes, reserve * type.BYTES_PER_ELEMENT));
  let buffer: ArrayBuffer;
  try {
    buffer = new ArrayBuffer(bytes, { maxByteLength: max });
  } catch {
    // Out of address space to reserve (or a column past 4 GiB): an ordinary buffer, copied when it grows.
    buffer = new ArrayBuffer(bytes);
  }
  return new type(buffer, 0, length);
}

/** Buffers of scratch arrays: made for one operation, given back by releaseScratch. */
const scratch = new WeakSet<ArrayBuffer>();

/**
 * A zeroed array for one operation (a save's temporary sections): page-allocated, and given back by
 * releaseScratch as soon as the operation is done with it rather than when the thread next collects garbage
 * (a writer thread can hold a save's tens of MiB of temporaries until then).
 */
export function scratchArray<T extends Column>(type: ColumnType<T>, length: number, reserve: number = length): T {
  const a = pageArray(type, length, reserve);
  if (a.buffer instanceof ArrayBuffer) scratch.add(a.buffer);
  return a;
}

/**
 * Gives back the pages of every scratch array among `views` (views of one included). The caller guarantees
 * nothing reads them again: they read as empty afterwards. Other arrays are left alone.
 */
export function releaseScratch(views: readonly ArrayBufferView[]): void {
  for (const v of views) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && scratch.delete(b) && b.resizable) b.resize(0);
  }
}

/**
 * Gives back now the pages of every page-allocated buffer among `views` that this thread owns alone (a copy
 * moved here from another thread, used up): a writer thread would otherwise hold a large batch's copies until
 * its next garbage collection. They read as empty afterwards; malloc'd buffers are left to the GC.
 */
export function releaseOwned(views: readonly ArrayBufferView[]): void {
  for (const v of views) {
    const b = v.buffer;
    if (b instanceof ArrayBuffer && b.resizable) {
      scratch.delete(b);
      b.resize(0);
    }
  }
}
