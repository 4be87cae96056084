// Reader-pool entry (Piscina): attaches to the shared memory once per thread, then serves two task types.
// Searches read only published state and never wait for the writer; insert tasks link nodes the writer
// reserved, concurrently with each other (per-node seqlocks in the kernels), for a parallel addBatch.
import { HnswIndex, KernelArena } from '@feather-db/core';
import { workerData } from 'piscina';
import type { InsertReply, PoolTask, ReaderInit, SearchReply } from '../protocol.js';
import { toReply } from '../writer/writer-service.js';

let index: HnswIndex | undefined;

function attached(): HnswIndex {
  if (index === undefined) {
    const init = workerData as ReaderInit;
    index = HnswIndex.attach(KernelArena.attach(init.memory, init.module), init.address, init.efSearch);
  }
  return index;
}

export default function run(task: PoolTask): SearchReply | InsertReply {
  switch (task.type) {
    case 'search': {
      const replies: SearchReply = [];
      const dim = task.queries.length / task.ks.length;
      for (let i = 0; i < task.ks.length; i++) {
        replies.push(
          toReply(() => {
            const ef = task.efs[i]!;
            return attached().search(task.queries.subarray(i * dim, (i + 1) * dim), task.ks[i]!, ef === 0 ? undefined : { ef });
          }),
        );
      }
      return replies;
    }
    case 'insert':
      return toReply(() => {
        const target = attached();
        for (let id = task.first; id < task.first + task.count; id++) target.insertReserved(id);
        return task.count;
      });
  }
}
