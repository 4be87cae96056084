import { loadUnchecked, type FileIo, type KernelArena, type LoadedGraphs, type MemoryModel, type ModelSections, type SharedChecksum, type StoreFileReader } from '@feather-db/core';

/** Graph pieces (~1 MiB each) an open loads per event-loop turn: a few ms, so other work keeps running. */
const kLoadPiecesPerTurn = 4;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What the main thread's half of an open produced. */
export interface MainLoad {
  sections: ModelSections;
  mirror: MemoryModel;
  graphs: LoadedGraphs;
}

/**
 * The main thread's half of an open: the mirror and every graph (core's loadUnchecked), a few pieces per
 * event-loop turn, then its share of the bulk checksums (`check`, shared with the writer's prepare).
 * @throws FEATHER_ERR_CORRUPT for what this half checks itself.
 */
export async function loadOnMainThread(file: StoreFileReader, io: FileIo, arena: KernelArena, check: SharedChecksum): Promise<MainLoad> {
  const steps = loadUnchecked(file, arena);
  let step = steps.next();
  for (let n = 1; step.done !== true; n++) {
    if (n % kLoadPiecesPerTurn === 0) await yieldToLoop();
    step = steps.next();
  }
  while (check.work(io, file.fd, file.path, 1) > 0) await yieldToLoop();
  return { sections: step.value.sections, mirror: step.value.model, graphs: step.value.graphs };
}
