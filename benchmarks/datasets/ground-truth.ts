// Exact top-k ground truth over worker_threads (ground-truth.worker.mjs), in plain JS.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Prepared } from './prepare.js';
import { log } from './setup-util.js';

// ---------------------------------------------------------------- ground truth

interface GroundTruth {
  ids: Int32Array;
  dist: Float32Array;
}

export async function computeGroundTruth(name: string, p: Prepared, k: number): Promise<GroundTruth> {
  const dim = p.dim;
  const nBase = p.base.length / dim;
  const nQuery = p.queries.length / dim;
  if (!(p.base.buffer instanceof SharedArrayBuffer) || !(p.queries.buffer instanceof SharedArrayBuffer)) {
    throw new Error('base/queries must be backed by SharedArrayBuffer');
  }
  const idsBuf = new SharedArrayBuffer(nQuery * k * 4);
  const distBuf = new SharedArrayBuffer(nQuery * k * 4);
  const threads = Math.max(1, Math.min(os.availableParallelism(), nQuery));
  const chunk = 64; // queries per work item (multiple of the worker's block size)
  log(`${name}: exact top-${k} for ${nQuery} queries x ${nBase} base (${dim}-d, ${p.metric}) on ${threads} threads`);

  const workerUrl = new URL('./ground-truth.worker.mjs', import.meta.url);
  const start = performance.now();
  let next = 0;
  let done = 0;
  let nextReport = 0.1;

  await new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let finished = false;
    const fail = (err: unknown): void => {
      if (finished) return;
      finished = true;
      for (const w of workers) void w.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const dispatch = (w: Worker): void => {
      if (next >= nQuery) {
        w.postMessage(null);
        return;
      }
      const s = next;
      const e = Math.min(nQuery, s + chunk);
      next = e;
      w.postMessage({ start: s, end: e });
    };
    let exited = 0;
    for (let t = 0; t < threads; t++) {
      const w = new Worker(workerUrl, {
        workerData: {
          metric: p.metric,
          dim,
          nBase,
          nQuery,
          k,
          base: p.base.buffer,
          queries: p.queries.buffer,
          outIds: idsBuf,
          outDist: distBuf,
        },
      });
      workers.push(w);
      w.on('message', (msg: { start: number; end: number }) => {
        done += msg.end - msg.start;
        const frac = done / nQuery;
        if (frac >= nextReport || done === nQuery) {
          const el = (performance.now() - start) / 1000;
          const eta = frac > 0 ? (el / frac) * (1 - frac) : 0;
          log(
            `${name}: ground truth ${(frac * 100).toFixed(0).padStart(3)}% (${done}/${nQuery}), ` +
              `${el.toFixed(0)}s elapsed, ~${eta.toFixed(0)}s left, ` +
              `${((el * 1000 * threads) / done).toFixed(1)} ms/query/thread`,
          );
          while (nextReport <= frac) nextReport += 0.1;
        }
        dispatch(w);
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0 && !finished) {
          fail(new Error(`ground-truth worker exited with code ${code}`));
          return;
        }
        exited++;
        if (exited === threads && !finished) {
          finished = true;
          if (done !== nQuery) reject(new Error(`ground truth incomplete: ${done}/${nQuery}`));
          else resolve();
        }
      });
      dispatch(w);
    }
  });

  // Copy out of the shared buffers into ordinary ones for writing/returning.
  const ids = new Int32Array(nQuery * k);
  ids.set(new Int32Array(idsBuf));
  const dist = new Float32Array(nQuery * k);
  dist.set(new Float32Array(distBuf));
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? -1;
    if (id < 0 || id >= nBase) throw new Error(`ground truth contains invalid id ${id} at ${i}`);
  }
  return { ids, dist };
}
