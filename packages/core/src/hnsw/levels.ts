/**
 * Seeded level generator: level = floor(-ln(u) * mL) with mL = 1 / ln(M), the distribution of the HNSW
 * paper and hnswlib. The RNG is splitmix32, so a seed reproduces a build exactly.
 */
export class LevelGenerator {
  #state: number;
  readonly #mult: number;

  constructor(m: number, seed: number) {
    this.#state = seed >>> 0;
    this.#mult = 1 / Math.log(m);
  }

  next(): number {
    // u in (0, 1]: never 0, so the log stays finite.
    const u = (this.#nextU32() + 1) / 4294967296;
    return Math.min(Math.floor(-Math.log(u) * this.#mult), 31);
  }

  #nextU32(): number {
    this.#state = (this.#state + 0x9e3779b9) | 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
}
