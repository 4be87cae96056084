import { Worker } from 'node:worker_threads';
import { FeatherError } from 'feather-db';
import { abortedError } from './limiter.js';
import type { FromModelWorker, ToModelWorker } from './local-protocol.js';

interface Pending {
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: FeatherError) => void;
}

/**
 * One thread running the local model. Requests are answered in order; a request whose signal aborts rejects
 * at once (the thread finishes that batch and its answer is dropped). If the thread dies, every pending request
 * rejects with FEATHER_ERR_EMBEDDER and the worker is marked dead; the embedder starts another on next use.
 */
export class ModelWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  #failure: FeatherError | undefined;
  /** Resolves with the model's load time once the thread is ready; rejects if it cannot load. */
  readonly ready: Promise<number>;

  constructor() {
    this.#worker = new Worker(new URL('./local.worker.js', import.meta.url));
    this.ready = new Promise<number>((resolve, reject) => {
      this.#worker.on('message', (message: FromModelWorker) => {
        switch (message.type) {
          case 'ready':
            this.#idle();
            resolve(message.loadMs);
            return;
          case 'load-failed': {
            const error = FeatherError.fromWire(message.error);
            this.#fail(error);
            reject(error);
            return;
          }
          case 'embedded':
            this.#settle(message.id)?.resolve(message.vectors);
            return;
          case 'failed':
            this.#settle(message.id)?.reject(FeatherError.fromWire(message.error));
            return;
        }
      });
      const died = (why: string, cause?: unknown): void => {
        const error = new FeatherError(
          'FEATHER_ERR_EMBEDDER',
          `the local embedding model's thread ${why}; the next call starts a new one`,
          { provider: 'local' },
          { cause },
        );
        this.#fail(error);
        reject(error);
      };
      this.#worker.on('error', (error) => died(`crashed: ${error.message}`, error));
      this.#worker.on('exit', (code) => died(`exited with code ${code}`));
    });
    // The caller awaits `ready`; this only keeps an unobserved failure from being an unhandled rejection.
    this.ready.catch(() => undefined);
  }

  /** True once the thread has died or failed to load: nothing more will run on it. */
  get dead(): boolean {
    return this.#failure !== undefined;
  }

  get pending(): number {
    return this.#pending.size;
  }

  async embed(texts: readonly string[], signal: AbortSignal | undefined): Promise<Float32Array[]> {
    await this.ready;
    if (this.#failure !== undefined) throw this.#failure;
    const id = this.#nextId++;
    const answer = new Promise<Float32Array[]>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#worker.ref();
    this.#worker.postMessage({ type: 'embed', id, texts: [...texts] } satisfies ToModelWorker);
    if (signal === undefined) return answer;
    const onAbort = (): void => this.#settle(id)?.reject(abortedError('embed'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await answer;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    this.#fail(new FeatherError('FEATHER_ERR_CLOSED', 'the local embedder was closed; create a new one to embed'));
    await this.#worker.terminate();
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#idle();
    return pending;
  }

  /** An idle model thread does not keep the process alive (a forgotten close() must not hang a script). */
  #idle(): void {
    this.#worker.unref();
  }

  #fail(error: FeatherError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }
}
