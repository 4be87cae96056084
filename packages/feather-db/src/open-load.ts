import { kModelSections, modelFromSections, readModelSections, type FileIo, type GraphLoad, type MemoryModel, type ModelSections, type StoreFileReader } from '@feather-db/core';

/** Load tasks (~1 MiB each) the main thread runs per event-loop turn: a few ms, so other work keeps running. */
const kTasksPerTurn = 4;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** What the main thread's half of an open produced. */
export interface MainLoad {
  sections: ModelSections;
  mirror: MemoryModel;
}

/**
 * The main thread's half of an open, while the writer prepares: the mirror, from the model sections read
 * unchecked and without per-row checks (the writer builds its model from the same bytes with every check),
 * then tasks of the load (`load`, planned by this thread and shared with the writer), a few per event-loop
 * turn, until none is left. The caller finishes the load once the writer is done too.
 * @throws FEATHER_ERR_CORRUPT for what this half checks itself.
 */
export async function loadOnMainThread(file: StoreFileReader, io: FileIo, load: GraphLoad): Promise<MainLoad> {
  file.deferChecksums(kModelSections);
  const sections = readModelSections(file);
  const mirror = modelFromSections(sections, file.path, true);
  while (load.work(io, mirror, kTasksPerTurn) > 0) await yieldToLoop();
  return { sections, mirror };
}
