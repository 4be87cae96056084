// INTERNAL, tests only: the writer's RPC surface with the fault plan of internal-faults.ts applied. The
// worker entry uses it only when workerData carries a plan.
import type { WriterApi } from '../protocol.js';
import { die, holdLocks, type Faults, type WriterFaultPoint } from '../shared/internal-faults.js';
import type { WriterService } from './writer-service.js';

type Method = Exclude<WriterFaultPoint, 'boot'>;

/** `service`, except that its n-th call of the planned method kills the thread instead of answering. */
export function withWriterFaults(service: WriterService, faults: Faults): WriterApi {
  const fault = faults.plan.writer;
  let calls = 0;
  const guard =
    <A extends unknown[], R>(method: Method, fn: (...args: A) => R) =>
    (...args: A): R | Promise<never> => {
      if (fault?.at === method && ++calls === (fault.nth ?? 1)) {
        if (fault.holdLock === true) for (const address of service.indexAddresses()) holdLocks(service.arena, address);
        return die(fault.how, service.arena, `writer.${method}`);
      }
      return fn(...args);
    };
  return {
    prepare: guard('prepare', (spec) => service.prepare(spec)),
    open: guard('open', (spec) => service.open(spec)),
    writeMany: guard('writeMany', (writes) => service.writeMany(writes)),
    beginRebuild: (modalities, change) => service.beginRebuild(modalities, change),
    commitRebuild: () => service.commitRebuild(),
    beginRepair: guard('beginRepair', (taskNodes) => service.beginRepair(taskNodes)),
    commitRepair: guard('commitRepair', () => service.commitRepair()),
    save: guard('save', (target, graph) => service.save(target, graph)),
    verify: () => service.verify(),
    close: guard('close', () => service.close()),
  } as WriterApi;
}
