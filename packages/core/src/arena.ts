import { createSharedMemory, instantiateKernels, type WasmExports } from '@feather-db/kernels';
import { FeatherError } from './errors.js';
import { kArenaEpoch, kArenaPinned, kArenaTop, kNoPin, verifyLayout } from './layout.js';

/**
 * One thread's handle on a shared kernel memory: the wasm instance bound to it and typed views of it.
 * The memory is shared and grows in place, so every thread can hold its own KernelArena over the same
 * bytes; addresses are plain byte offsets valid in all of them.
 */
export class KernelArena {
  readonly memory: WebAssembly.Memory;
  readonly wasm: WasmExports;
  /** Word index of the arena top in the control block (kernels: arenaBase() + 4). */
  readonly #topWord: number;
  #f32: Float32Array;
  #u32: Uint32Array;
  #i32: Int32Array;

  private constructor(memory: WebAssembly.Memory, wasm: WasmExports) {
    this.memory = memory;
    this.wasm = wasm;
    this.#f32 = new Float32Array(memory.buffer);
    this.#u32 = new Uint32Array(memory.buffer);
    this.#i32 = new Int32Array(memory.buffer);
    this.#topWord = ((wasm.arenaBase() >>> 0) + kArenaTop) >>> 2;
  }

  /** A new shared memory with an initialised arena. */
  static create(initialPages = 16): KernelArena {
    const memory = createSharedMemory(initialPages);
    const arena = new KernelArena(memory, instantiateKernels(memory));
    verifyLayout(arena.wasm);
    if (arena.wasm.arenaInit() === 0)
      throw new FeatherError('FEATHER_ERR_CAPACITY', 'Could not initialise the kernel arena: the shared memory could not grow');
    return arena;
  }

  /** Binds this thread to a memory created (and initialised) by another thread. */
  static attach(memory: WebAssembly.Memory, module?: WebAssembly.Module): KernelArena {
    const arena = new KernelArena(memory, instantiateKernels(memory, module));
    verifyLayout(arena.wasm);
    return arena;
  }

  /** Zeroed, 64-byte aligned bytes from the arena; throws FEATHER_ERR_CAPACITY past 4 GiB. */
  alloc(bytes: number): number {
    const address = this.wasm.alloc(bytes) >>> 0;
    if (address === 0) {
      throw new FeatherError(
        'FEATHER_ERR_CAPACITY',
        `The shared memory cannot grow by ${bytes} bytes (used ${this.bytesUsed()} of 4 GiB); split the store or enable int8 mode`,
        { bytes },
      );
    }
    return address;
  }

  /**
   * Returns an allocation (`bytes` as passed to alloc) to the arena, to be handed out again. Only for memory no
   * thread can still read: retired under an epoch every reader has left (docs/adr/0008). Returns false when
   * the free list stayed busy (the memory is then just not reused).
   */
  free(address: number, bytes: number): boolean {
    return this.wasm.free(address, bytes) === 1;
  }

  /** Bytes on the arena's free list: handed out before, retired and freed since, ready to be reused. */
  freeBytes(): number {
    return this.wasm.arenaFreeBytes() >>> 0;
  }

  /**
   * Retires what the caller has just made unreachable: returns the tag to keep with it and advances the epoch.
   * Readers that pin from now on pin a later epoch, so they cannot reach it (docs/adr/0008).
   */
  retire(): number {
    // Atomic add after the caller's unlinking stores: a reader that loads the new epoch sees them.
    return Atomics.add(this.u32, this.#ctlWord(kArenaEpoch), 1) >>> 0;
  }

  /** True once no reader in flight pinned an epoch at or before `tag` (memory retired under it is free to reuse). */
  reclaimable(tag: number): boolean {
    // Atomic load: the facade stores the oldest pinned epoch (or kNoPin) as readers start and end.
    const pinned = Atomics.load(this.u32, this.#ctlWord(kArenaPinned)) >>> 0;
    return pinned === kNoPin || tag < pinned;
  }

  /** Word indexes of the epoch and the pinned epoch in the control block (the facade's pins use them). */
  get epochWords(): { epoch: number; pinned: number } {
    return { epoch: this.#ctlWord(kArenaEpoch), pinned: this.#ctlWord(kArenaPinned) };
  }

  #ctlWord(offset: number): number {
    return ((this.wasm.arenaBase() >>> 0) + offset) >>> 2;
  }

  /**
   * Forgets every allocation (the next ones reuse the memory). Only for a harness that reloads stores over
   * and over in one arena (the corruption fuzzer): every index, scratch and handle of this memory becomes
   * invalid, in every thread.
   */
  resetForTests(): void {
    if (this.wasm.arenaInit() === 0) throw new FeatherError('FEATHER_ERR_CAPACITY', 'Could not reset the kernel arena');
  }

  /** Bytes below the arena top (handed out, free-listed ones included): the high-water mark of the store's use. */
  bytesUsed(): number {
    return (this.wasm.arenaTop() >>> 0) - (this.wasm.arenaBase() >>> 0);
  }

  get f32(): Float32Array {
    if (this.#f32.byteLength < this.#top()) this.#refresh();
    return this.#f32;
  }

  get u32(): Uint32Array {
    if (this.#u32.byteLength < this.#top()) this.#refresh();
    return this.#u32;
  }

  get i32(): Int32Array {
    if (this.#i32.byteLength < this.#top()) this.#refresh();
    return this.#i32;
  }

  /**
   * The arena top, read straight from the control block (an atomic load instead of a wasm call: the views are
   * fetched in per-node loops). The control block is below every view's end, so the current view can read it.
   */
  #top(): number {
    // Atomic load: pairs with the atomic add in the kernels' alloc.
    return Atomics.load(this.#u32, this.#topWord) >>> 0;
  }

  // Every address in use lies below the arena top, so views are stale only once the top passes their end.
  // (Reading memory.buffer instead would allocate a new SharedArrayBuffer object per call on a shared memory.)
  #refresh(): void {
    const buffer = this.memory.buffer;
    this.#f32 = new Float32Array(buffer);
    this.#u32 = new Uint32Array(buffer);
    this.#i32 = new Int32Array(buffer);
  }
}
