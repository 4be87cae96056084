// The learned dimension order of an index (docs/architecture.md, "Learned dimension order"): vectors and
// queries are stored with their dimensions permuted, highest variance first, so the kernels' early exit
// decides on the most informative dimensions. A permutation changes no distance.
import type { KernelArena } from '../arena.js';
import { kHDimOrder } from '../layout.js';
import type { VectorInput } from '../validate.js';

/** Rows sampled (evenly) to estimate per-dimension variance. */
const kLearnOrderSampleRows = 20_000;

/** One handle's view of an index's order: storage position -> input dimension, or null for identity. */
export class DimensionOrder {
  readonly #arena: KernelArena;
  /** Word index of the order's address in the index header. */
  readonly #word: number;
  readonly #dim: number;
  /** Immutable once set (before any node is published). */
  #order: Uint32Array | null = null;

  constructor(arena: KernelArena, index: number, dim: number) {
    this.#arena = arena;
    this.#word = (index + kHDimOrder) >>> 2;
    this.#dim = dim;
    this.#load();
  }

  /** The order, loading it if another handle set it after this one attached. */
  get current(): Uint32Array | null {
    if (this.#order === null) this.#load();
    return this.#order;
  }

  /** Stores `order` in the arena and points the index header at it (before any insert). */
  install(order: ArrayLike<number>): void {
    const address = this.#arena.alloc(this.#dim * 4);
    this.#arena.u32.set(order, address >>> 2);
    // Atomic store: a reader that sees the order address sees the order it points to (written above).
    Atomics.store(this.#arena.u32, this.#word, address);
    this.#order = Uint32Array.from(order);
  }

  /**
   * Orders dimensions by decreasing variance over (a sample of) the first bulk load. The early exit of the
   * distance kernel checks partial sums every 64 floats, so putting the high-variance dimensions first lets
   * it reject far candidates sooner: on MNIST, where border pixels are always 0, the dimensions a rejected
   * candidate needs drop by about half. Keeps the identity when the variances are already in order.
   */
  learn(vectors: Float32Array, n: number): void {
    const dim = this.#dim;
    const step = Math.max(1, Math.floor(n / kLearnOrderSampleRows));
    const mean = new Float64Array(dim);
    const sq = new Float64Array(dim);
    let rows = 0;
    for (let r = 0; r < n; r += step, rows++) {
      for (let j = 0; j < dim; j++) {
        const x = vectors[r * dim + j];
        mean[j] += x;
        sq[j] += x * x;
      }
    }
    const variance = Float64Array.from(mean, (m, j) => sq[j] / rows - (m / rows) ** 2);
    const order = Uint32Array.from({ length: dim }, (_, j) => j).sort((a, b) => variance[b] - variance[a] || a - b);
    if (!order.every((v, i) => v === i)) this.install(order);
  }

  /** Writes `vector` (from `offset`) in storage order into the arena's floats from word `at`. */
  write(vector: VectorInput, offset: number, at: number): void {
    const f32 = this.#arena.f32;
    const order = this.current;
    if (order === null) {
      if (offset === 0 && vector.length === this.#dim) f32.set(vector, at);
      else for (let i = 0; i < this.#dim; i++) f32[at + i] = vector[offset + i]!;
    } else {
      for (let i = 0; i < this.#dim; i++) f32[at + i] = vector[offset + order[i]]!;
    }
  }

  /** `vector` in storage order (a copy): what the kernels compare against. */
  toStorage(vector: VectorInput): Float32Array {
    const out = new Float32Array(this.#dim);
    const order = this.current;
    for (let i = 0; i < this.#dim; i++) out[i] = vector[order === null ? i : order[i]]!;
    return out;
  }

  /** A stored vector back in input order (a copy). */
  fromStorage(stored: Float32Array): Float32Array {
    const order = this.current;
    if (order === null) return stored.slice();
    const out = new Float32Array(this.#dim);
    for (let i = 0; i < this.#dim; i++) out[order[i]] = stored[i]!;
    return out;
  }

  #load(): void {
    const address = Atomics.load(this.#arena.u32, this.#word);
    if (address !== 0) this.#order = this.#arena.u32.slice(address >>> 2, (address >>> 2) + this.#dim);
  }
}
