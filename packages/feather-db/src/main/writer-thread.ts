import { Worker } from 'node:worker_threads';
import { FeatherError } from '@feather-db/core';
import { releaseProxy, wrap, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { SharedInit, WriterApi, WriterCalls } from '../protocol.js';

/**
 * Upper bound between a worker thread's death and the rejection of every call waiting on it. Calls reject
 * at the thread's 'error' or 'exit' event (the same event-loop turn); a thread that reported an error but
 * has not exited within this bound is terminated, and stopping a thread waits no longer than this.
 */
const kWorkerDeathSettleMs = 5_000;

/**
 * Flags a worker of the store starts with, whatever the host process was started with: none. A host's flags
 * are not the workers' business (`--input-type=module -e` kills a worker at start, a loader such as tsx's
 * would run in every worker), and the bundled worker entries need none.
 */
export const kWorkerExecArgv: readonly string[] = [];

/**
 * The writer's young generation, in MiB (V8's default lets it grow to ~48). The writer's live heap is small
 * (records live in page-allocated columns), but a large `addBatch` reaches it as a burst of ops whose
 * deserialized items and effects grew its young generation to the maximum: ~25 MiB more resident at the
 * build's peak (GloVe-100, 331k rows: 333 -> 310 MiB of growth; 16 MiB gave 318, 3-12 MiB all ~310). Builds,
 * writes per second and write latency were unchanged by the cap (benchmarks/RESULTS.md).
 */
const kWriterYoungGenerationMb = 8;

function exited(detail: string, cause?: unknown): FeatherError {
  return new FeatherError(
    'FEATHER_ERR_WORKER_EXITED',
    `The store's writer thread ${detail}; every pending call was rejected and the store is closed for writes: close it and open it again (acknowledged writes are in the file and its WAL)`,
    { thread: 'writer' },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The writer worker, watched from the moment it is spawned: its 'error' and 'exit' events turn into one
 * typed death (`died`), every call through `calls` races that death (comlink never rejects a call whose
 * thread is gone), and `stop` ends it within kWorkerDeathSettleMs.
 */
export class WriterThread {
  readonly calls: WriterCalls;
  /** Rejects with FEATHER_ERR_WORKER_EXITED when the thread dies (not when stop() ends it). */
  readonly died: Promise<never>;
  readonly #worker: Worker;
  readonly #remote: Remote<WriterApi>;
  #death: FeatherError | undefined;
  #stopping: Promise<void> | undefined;

  constructor(init: SharedInit) {
    // The bundled entry (scripts/bundle-workers.mjs): one file to load instead of a module graph.
    this.#worker = new Worker(new URL('../writer/writer.bundle.js', import.meta.url), {
      workerData: init,
      execArgv: [...kWorkerExecArgv],
      resourceLimits: { maxYoungGenerationSizeMb: kWriterYoungGenerationMb },
    });
    this.#remote = wrap<WriterApi>(nodeEndpoint(this.#worker));
    let reject: (error: FeatherError) => void = () => undefined;
    this.died = new Promise<never>((_, r) => (reject = r));
    // Nobody may be awaiting it at the moment of death: the rejection is observed through `calls`.
    this.died.catch(() => undefined);
    const die = (error: FeatherError): void => {
      if (this.#death !== undefined || this.#stopping !== undefined) return;
      this.#death = error;
      reject(error);
    };
    this.#worker.on('error', (error) => {
      die(exited(`failed: ${error.message}`, error));
      // It exits after an uncaught error; if it has not within the bound, it is ended.
      setTimeout(() => void this.#worker.terminate(), kWorkerDeathSettleMs).unref();
    });
    this.#worker.on('messageerror', (error) => die(exited(`sent a message that could not be read: ${error.message}`, error)));
    this.#worker.on('exit', (code) => die(exited(`exited with code ${code}`)));
    const calls: Partial<Record<keyof WriterApi, (...args: never[]) => Promise<unknown>>> = {};
    for (const name of [
      'prepare',
      'open',
      'writeMany',
      'beginRebuild',
      'commitRebuild',
      'beginRepair',
      'commitRepair',
      'save',
      'verify',
      'close',
    ] as const) {
      calls[name] = (...args: never[]): Promise<unknown> =>
        this.#call(() => (this.#remote[name] as (...a: never[]) => Promise<unknown>)(...args));
    }
    this.calls = calls as WriterCalls;
  }

  /** Why the thread died, if it did. */
  get death(): FeatherError | undefined {
    return this.#death;
  }

  /** Ends the thread (idempotent); resolves within kWorkerDeathSettleMs even if it does not answer. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#remote[releaseProxy]();
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, kWorkerDeathSettleMs).unref()));
      await Promise.race([
        this.#worker.terminate().then(
          () => undefined,
          () => undefined,
        ),
        bound,
      ]);
      clearTimeout(timer);
    })();
    return this.#stopping;
  }

  #call<T>(send: () => Promise<T>): Promise<T> {
    if (this.#death !== undefined) return Promise.reject(this.#death);
    if (this.#stopping !== undefined) return Promise.reject(exited('was stopped'));
    return Promise.race([send(), this.died]);
  }
}
