// Exact k-NN ground-truth worker (plain JS so it runs under `node` and `tsx` alike).
//
// workerData: {
//   metric: 'cosine' | 'l2', dim, nBase, nQuery, k,
//   base: SharedArrayBuffer (float32, nBase*dim),
//   queries: SharedArrayBuffer (float32, nQuery*dim),
//   outIds: SharedArrayBuffer (int32, nQuery*k),
//   outDist: SharedArrayBuffer (float32, nQuery*k),
// }
// The parent posts { start, end } query ranges; the worker answers { start, end }
// when the range is written to outIds/outDist. Posting null ends the worker.
//
// Ranking: cosine (unit vectors) -> descending dot product; l2 -> ascending
// squared Euclidean distance. Accumulation is float64. Base ids are visited in
// ascending order and a candidate only displaces a strictly worse one, so ties
// are broken by the lower id.
import { parentPort, workerData } from 'node:worker_threads';

const { metric, dim, nBase, k } = workerData;
const base = new Float32Array(workerData.base);
const queries = new Float32Array(workerData.queries);
const outIds = new Int32Array(workerData.outIds);
const outDist = new Float32Array(workerData.outDist);
const isCosine = metric === 'cosine';
if (!isCosine && metric !== 'l2') throw new Error(`unknown metric ${metric}`);

// Queries are processed in blocks: each base vector is loaded once and scored
// against every query of the block, which cuts memory traffic by BLOCK x.
const BLOCK = 8;

// Squared norms of base vectors (l2 only): |b-q|^2 = |b|^2 - 2 b.q + |q|^2.
// For raw MNIST pixels every term is an integer < 2^53, so this is exact.
// For general float data we fall back to the direct difference formula.
let baseSq = null;
let useExpansion = false;
if (!isCosine) {
  baseSq = new Float64Array(nBase);
  let allIntegral = true;
  for (let i = 0; i < nBase; i++) {
    let s = 0;
    const o = i * dim;
    for (let d = 0; d < dim; d++) {
      const v = base[o + d];
      s += v * v;
      if (allIntegral && v !== Math.trunc(v)) allIntegral = false;
    }
    baseSq[i] = s;
  }
  useExpansion = allIntegral;
}

function allIntegralQueries(start, end) {
  for (let j = start * dim, e = end * dim; j < e; j++) {
    const v = queries[j];
    if (v !== Math.trunc(v)) return false;
  }
  return true;
}

// Per-block top-k state: scores are "larger is better" (dot, or -dist).
const topScore = new Float64Array(BLOCK * k);
const topId = new Int32Array(BLOCK * k);
const qBuf = new Float64Array(BLOCK * dim);
const qSq = new Float64Array(BLOCK);

function dot(qo, bo) {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    s0 += qBuf[qo + d] * base[bo + d];
    s1 += qBuf[qo + d + 1] * base[bo + d + 1];
    s2 += qBuf[qo + d + 2] * base[bo + d + 2];
    s3 += qBuf[qo + d + 3] * base[bo + d + 3];
  }
  for (; d < dim; d++) s0 += qBuf[qo + d] * base[bo + d];
  return s0 + s1 + (s2 + s3);
}

function sqDist(qo, bo) {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let d = 0;
  for (; d + 3 < dim; d += 4) {
    const a = qBuf[qo + d] - base[bo + d];
    const b = qBuf[qo + d + 1] - base[bo + d + 1];
    const c = qBuf[qo + d + 2] - base[bo + d + 2];
    const e = qBuf[qo + d + 3] - base[bo + d + 3];
    s0 += a * a;
    s1 += b * b;
    s2 += c * c;
    s3 += e * e;
  }
  for (; d < dim; d++) {
    const a = qBuf[qo + d] - base[bo + d];
    s0 += a * a;
  }
  return s0 + s1 + (s2 + s3);
}

function runBlock(qStart, bs, exact) {
  topScore.fill(-Infinity);
  topId.fill(-1);
  for (let b = 0; b < bs; b++) {
    const src = (qStart + b) * dim;
    let s = 0;
    for (let d = 0; d < dim; d++) {
      const v = queries[src + d];
      qBuf[b * dim + d] = v;
      s += v * v;
    }
    qSq[b] = s;
  }
  for (let i = 0; i < nBase; i++) {
    const bo = i * dim;
    for (let b = 0; b < bs; b++) {
      let score;
      if (isCosine) score = dot(b * dim, bo);
      else if (exact) score = -(baseSq[i] - 2 * dot(b * dim, bo) + qSq[b]);
      else score = -sqDist(b * dim, bo);
      const t = b * k;
      if (score > topScore[t + k - 1]) {
        // Insert keeping descending score; equal scores stay ahead (lower id).
        let j = k - 1;
        while (j > 0 && score > topScore[t + j - 1]) {
          topScore[t + j] = topScore[t + j - 1];
          topId[t + j] = topId[t + j - 1];
          j--;
        }
        topScore[t + j] = score;
        topId[t + j] = i;
      }
    }
  }
  for (let b = 0; b < bs; b++) {
    const o = (qStart + b) * k;
    for (let j = 0; j < k; j++) {
      outIds[o + j] = topId[b * k + j];
      const s = topScore[b * k + j];
      outDist[o + j] = isCosine ? s : -s;
    }
  }
}

parentPort.on('message', (msg) => {
  if (msg === null) {
    parentPort.close();
    return;
  }
  const { start, end } = msg;
  const exact = useExpansion && allIntegralQueries(start, end);
  for (let q = start; q < end; q += BLOCK) {
    runBlock(q, Math.min(BLOCK, end - q), exact);
  }
  parentPort.postMessage({ start, end });
});
