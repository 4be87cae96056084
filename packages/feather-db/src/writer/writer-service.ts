import { faultyFileIo, KernelArena, nodeFileIo, releaseOwned, StoreEngine } from '@feather-db/core';
import type {
  OpenResult,
  OpenSpec,
  RepairJob,
  Reply,
  SharedInit,
  StorageChange,
  WriteRequest,
  WriteResult,
  WriterApi,
} from '../protocol.js';
import { toReply } from '../shared/replies.js';

/**
 * The single writer: the only thread that mutates the store or touches its files. Its methods run one at a
 * time, in the order the facade called them, on a StoreEngine (packages/core: model, indexes, format, WAL);
 * this class turns results and errors into replies (the facade holds the cross-process lock).
 */
export class WriterService implements WriterApi {
  readonly #engine: StoreEngine;
  readonly arena: KernelArena;

  constructor(init: SharedInit) {
    this.arena = KernelArena.attach(init.memory, init.module);
    // INTERNAL, tests only: a plan in workerData fails one file operation (internal-faults.ts).
    // A crash point kills the whole process there, as a power cut or kill -9 would.
    const io =
      init.faults?.plan.io === undefined
        ? nodeFileIo()
        : faultyFileIo(nodeFileIo(), init.faults.plan.io, () => process.kill(process.pid, 'SIGKILL'));
    this.#engine = new StoreEngine(this.arena, io);
  }

  /** Addresses of the current index of every modality (fault injection holds their locks). */
  indexAddresses(): number[] {
    return [...this.#engine.modalities().values()].map((m) => m.index.address);
  }

  prepare(spec: OpenSpec): Reply<null> {
    return toReply(() => {
      this.#engine.prepare(spec);
      return null;
    });
  }

  open(spec: OpenSpec): Reply<OpenResult> {
    return toReply(() => {
      const started = performance.now();
      return { ...this.#engine.open(spec), loadMs: performance.now() - started };
    });
  }

  writeMany(writes: WriteRequest[]): Reply<{ results: WriteResult[]; walBytes: number }> {
    try {
      return toReply(() => ({ results: this.#engine.writeMany(writes), walBytes: this.#engine.walBytes }));
    } finally {
      // The vectors were copied into the index and the WAL; their buffers came to this thread alone.
      for (const w of writes) releaseOwned(Object.values(w.vectors));
    }
  }

  beginRebuild(modalities: string[], change: StorageChange | undefined): Reply<WriteResult> {
    return toReply(() => this.#engine.beginRebuild(modalities, change));
  }

  commitRebuild(): Reply<{ bytesUsed: number }> {
    return toReply(() => this.#engine.commitRebuild());
  }

  beginRepair(taskNodes: number): Reply<RepairJob[]> {
    return toReply(() => this.#engine.beginRepair(taskNodes));
  }

  commitRepair(): Reply<{ retired: number }> {
    return toReply(() => this.#engine.commitRepair());
  }

  save(target: string | undefined, graph: 'auto' | 'always' | 'never'): Reply<{ bytes: number; ms: number; graphs: string[] }> {
    return toReply(() => this.#engine.save(target, graph));
  }

  verify(): Reply<{ problems: string[]; snapshot: Uint8Array }> {
    return toReply(() => ({ problems: this.#engine.verify(), snapshot: this.#engine.snapshot() }));
  }

  close(): Reply<null> {
    return toReply(() => {
      this.#engine.close();
      return null;
    });
  }
}
