import { FeatherError, upsertCount } from '@feather-db/core';
import { transfer } from 'comlink';
import type { InsertJob, WriteRequest, WriteResult, WriterCalls } from '../protocol.js';
import type { LinkQueue } from './link-queue.js';

/** A write the writer applied, and the linking of its reserved nodes (already started on the pool). */
export interface Sent {
  result: WriteResult;
  linking: Promise<void>;
}

/**
 * Vector bytes one `writeMany` takes at most (a single larger write still goes whole). Until it answers, the
 * writer holds a group's vectors three times: the buffers moved to it, the node blocks it filled and the WAL
 * record it framed. Unbounded, every slice of a large addBatch but the first went as one group: building 60,000 ×
 * 784 peaked at 446 MiB of RSS growth (2.26× hnswlib-node's); in 8 MiB groups, each group's buffers are given
 * back as its nodes fill, the peak was 247 MiB (1.25×), and the nodes reach the pool a group at a time.
 */
export const kGroupVectorBytes: number = 8 << 20;

/**
 * Rows of upserts that may wait behind the write in flight before a multi-slice write prepares its next slice
 * (room()): one of addBatch's 1,024-row slices. Each waiting row is an op item on the JS heap; at 100
 * dimensions a group's 8 MiB of vectors alone would let ~20,000 of them wait. (4,096 rows: GloVe-100's build
 * peaked ~4 MiB higher, alternating runs; the writer's groups are smaller now, its build time the same.)
 */
const kRoomRows = 1024;

/**
 * The way from the facade to the writer. Resolved writes queued while a `writeMany` is in flight go together in
 * the next one, up to kGroupVectorBytes: one WAL group, one fdatasync (group commit), in order. As soon as the
 * writer answers, the nodes it reserved are handed to the pool, so that once the queue is drained every job of
 * every applied write is known to `linked()` (save, rebuilds and integrity checks wait for both).
 */
export class WriteQueue {
  readonly #writer: WriterCalls;
  readonly #linker: LinkQueue;
  readonly #fail: (failure: FeatherError) => void;
  readonly #logged: (walBytes: number) => void;
  /** Queued writes, each with its vector bytes and rows counted once, at send. */
  readonly #outbox: {
    request: WriteRequest;
    bytes: number;
    rows: number;
    resolve: (sent: Sent) => void;
    reject: (error: unknown) => void;
  }[] = [];
  #sending: Promise<void> | undefined;
  readonly #jobs = new Set<Promise<unknown>>();
  /** Vector bytes in the outbox, and who waits for them to fall to one group (room()). */
  #queuedBytes = 0;
  #queuedRows = 0;
  #roomWaiters: (() => void)[] = [];

  /**
   * `fail` is told when the writer and the facade's mirror can no longer agree (the store must be reopened);
   * `logged` gets the WAL's size after each group.
   */
  constructor(writer: WriterCalls, linker: LinkQueue, fail: (failure: FeatherError) => void, logged: (walBytes: number) => void) {
    this.#writer = writer;
    this.#linker = linker;
    this.#fail = fail;
    this.#logged = logged;
  }

  send(request: WriteRequest): Promise<Sent> {
    return new Promise((resolve, reject) => {
      const bytes = vectorBytes(request);
      const rows = request.op.type === 'upsert' ? upsertCount(request.op.items) : 1;
      this.#outbox.push({ request, bytes, rows, resolve, reject });
      this.#queuedBytes += bytes;
      this.#queuedRows += rows;
      this.#flush();
    });
  }

  /**
   * Resolves once at most one group's vectors (and kRoomRows rows) wait behind the write in flight. A large
   * addBatch prepares its next slice only then: each slice's op is built, sent and dropped within a group's
   * time instead of every slice waiting in the outbox for the writer, where their items outlived the young
   * generation and stayed, as old-generation garbage, in the peak of a build (GloVe-100's 331k rows: with
   * the group dropped once posted, the peak RSS growth 312-315 -> 266-271 MiB, alternating runs).
   */
  room(): Promise<void> {
    if (!this.#full()) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Resolves once every queued write has been applied and logged by the writer. */
  async drain(): Promise<void> {
    while (this.#sending !== undefined || this.#outbox.length > 0) {
      this.#flush();
      await this.#sending;
    }
  }

  /** Writes' nodes are being linked on the pool (insert jobs queued or running). */
  get linking(): boolean {
    return this.#linker.busy;
  }

  /** Resolves once every linking job started so far has finished (successfully or not). */
  async linked(): Promise<void> {
    await Promise.allSettled([...this.#jobs]);
  }

  /** Counts `work` (a repair pass) among the jobs linked() waits for: save and rebuilds never see it half done. */
  async background<T>(work: Promise<T>): Promise<T> {
    this.#jobs.add(work);
    try {
      return await work;
    } finally {
      this.#jobs.delete(work);
    }
  }

  /** Links reserved nodes on the pool, in node order. */
  async link(jobs: InsertJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const running = Promise.all(jobs.map((job) => this.#linker.run(job)));
    this.#jobs.add(running);
    try {
      await running;
    } catch (error) {
      // Reserved nodes that were never linked would hold `published` back forever: the store fails closed.
      const code = error instanceof FeatherError && error.code === 'FEATHER_ERR_WORKER_EXITED' ? error.code : 'FEATHER_ERR_INTERNAL';
      this.#fail(
        new FeatherError(
          code,
          `A parallel insert failed; close the store and open it again (acknowledged writes are kept): ${(error as Error).message}`,
          { thread: 'reader' },
          { cause: error },
        ),
      );
      throw error;
    } finally {
      this.#jobs.delete(running);
    }
  }

  #flush(): void {
    if (this.#sending !== undefined || this.#outbox.length === 0) return;
    let taken = 0;
    for (let bytes = 0; taken < this.#outbox.length; taken++) {
      bytes += this.#outbox[taken]!.bytes;
      if (taken > 0 && bytes > kGroupVectorBytes) break;
    }
    const group = this.#outbox.splice(0, taken);
    for (const b of group) {
      this.#queuedBytes -= b.bytes;
      this.#queuedRows -= b.rows;
    }
    const requests = group.map((b) => b.request);
    // Posted now (a structured clone): only the callbacks wait for the answer, so the ops' items are garbage
    // at once instead of outliving the young generation while the writer works.
    let posted: ReturnType<WriterCalls['writeMany']>;
    try {
      posted = this.#writer.writeMany(transfer(requests, ownedBuffers(requests)));
    } catch (error) {
      // A post that throws (a value that cannot be cloned) fails this group like a writer that refused it.
      posted = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const batch = group.map(({ resolve, reject }) => ({ resolve, reject }));
    this.#sending = (async () => {
      try {
        const reply = await posted;
        if (!reply.ok) {
          // The mirror already holds these ops: the two models disagree now.
          const error = FeatherError.fromWire(reply.error);
          this.#fail(
            new FeatherError(
              error.code === 'FEATHER_ERR_CAPACITY' || error.code === 'FEATHER_ERR_IO' ? error.code : 'FEATHER_ERR_INTERNAL',
              `A write failed in the writer; reopen the store: ${error.message}`,
              error.details,
              { cause: error },
            ),
          );
          for (const b of batch) b.reject(error);
        } else {
          reply.value.results.forEach((result, i) => {
            const linking = this.link(result.jobs);
            // Its failure closes the store (link reports it); a write that failed before waiting for it (a
            // later slice of its batch hit the fault first) must not leave it an unhandled rejection.
            linking.catch(() => undefined);
            batch[i]!.resolve({ result, linking });
          });
          this.#logged(reply.value.walBytes);
        }
      } catch (error) {
        // The writer is gone (FEATHER_ERR_WORKER_EXITED): the mirror holds ops it may not have applied.
        if (error instanceof FeatherError) this.#fail(error);
        for (const b of batch) b.reject(error);
      } finally {
        this.#sending = undefined;
        this.#flush();
        this.#wakeRoom();
      }
    })();
  }

  #full(): boolean {
    return this.#queuedBytes > kGroupVectorBytes || this.#queuedRows > kRoomRows;
  }

  #wakeRoom(): void {
    if (this.#full() || this.#roomWaiters.length === 0) return;
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * The vectors' buffers, moved to the writer instead of copied: every request's vectors are the pipeline's own
 * float32 copies (taken at the call, and for addBatch one per slice), which nothing on this thread reads after
 * sending. A batch of 60,000 × 784 would otherwise be held twice until both threads collected it.
 */
function ownedBuffers(requests: readonly WriteRequest[]): ArrayBuffer[] {
  // A set: a buffer listed twice makes postMessage throw.
  const buffers = new Set<ArrayBuffer>();
  for (const { vectors } of requests) {
    for (const v of Object.values(vectors)) {
      // Only a whole buffer of its own can move (a view would take its neighbours' bytes along).
      if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer) buffers.add(v.buffer);
    }
  }
  return [...buffers];
}

function vectorBytes(request: WriteRequest): number {
  let bytes = 0;
  for (const v of Object.values(request.vectors)) bytes += v.byteLength;
  return bytes;
}
