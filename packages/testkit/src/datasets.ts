import { gaussian, seededRandom } from './random.js';

/** Options of {@link clusteredVectors}. */
export interface ClusteredOptions {
  n: number;
  dim: number;
  seed: number;
  /** Number of Gaussian clusters. Default 32. */
  clusters?: number;
  /** Standard deviation around a centre, relative to the centres' spread. Default 0.35. */
  spread?: number;
  /**
   * Intrinsic dimension of the within-cluster variation: points vary along this many random directions
   * (plus 5% isotropic noise), as real embeddings do. Default 12; pass `dim` for isotropic noise, the
   * hardest case for any ANN index.
   */
  latentDim?: number;
  /** Seed of the points alone (centres and directions still come from `seed`): more draws of one distribution. */
  pointSeed?: number;
}

/**
 * Row-major vectors drawn from Gaussian clusters around random centres: closer to real embeddings than
 * uniform noise, where every point is nearly equidistant and recall numbers mean little.
 */
export function clusteredVectors(options: ClusteredOptions): Float32Array {
  const { n, dim, seed, clusters = 32, spread = 0.35 } = options;
  const latentDim = Math.min(options.latentDim ?? 12, dim);
  const rand = seededRandom(seed);
  const centres = new Float64Array(clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = gaussian(rand);
  // Directions are shared by all clusters and scaled so the within-cluster spread matches `spread` per dim.
  const basis = new Float64Array(latentDim * dim);
  const scale = Math.sqrt(dim / latentDim);
  for (let i = 0; i < basis.length; i++) basis[i] = (gaussian(rand) * scale) / Math.sqrt(dim);
  const latent = new Float64Array(latentDim);
  const out = new Float32Array(n * dim);
  // Points from their own stream when asked: more draws from the same distribution.
  const draw = options.pointSeed === undefined ? rand : seededRandom(options.pointSeed);
  for (let r = 0; r < n; r++) {
    const c = Math.floor(draw() * clusters);
    for (let l = 0; l < latentDim; l++) latent[l] = gaussian(draw);
    for (let j = 0; j < dim; j++) {
      let x = centres[c * dim + j] + 0.05 * spread * gaussian(draw);
      for (let l = 0; l < latentDim; l++) x += spread * latent[l] * basis[l * dim + j];
      out[r * dim + j] = x;
    }
  }
  return out;
}

/** Row `i` of a row-major matrix (a view, not a copy). */
export function row(matrix: Float32Array, dim: number, i: number): Float32Array {
  return matrix.subarray(i * dim, (i + 1) * dim);
}
