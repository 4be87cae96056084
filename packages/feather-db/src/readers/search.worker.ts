// Reader-pool entry (Piscina): attaches to the shared memory once per thread, then serves searches. A
// search reads only published, immutable-once-visible state and never waits for the writer.
import { HnswIndex, KernelArena } from '@feather-db/core';
import { workerData } from 'piscina';
import type { ReaderInit, SearchReply, SearchTask } from '../protocol.js';
import { toWire } from '../writer/writer-service.js';

let index: HnswIndex | undefined;

export default function run(task: SearchTask): SearchReply {
  try {
    if (index === undefined) {
      const init = workerData as ReaderInit;
      index = HnswIndex.attach(KernelArena.attach(init.memory, init.module), init.address, init.efSearch);
    }
    const { ids, distances } = index.search(task.query, task.k, task.ef === undefined ? undefined : { ef: task.ef });
    return { ok: true, value: { ids, distances } };
  } catch (error) {
    return { ok: false, error: toWire(error) };
  }
}
