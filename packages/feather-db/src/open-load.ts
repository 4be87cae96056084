import { modelFromSections, type FileIo, type GraphLoad, type MemoryModel, type ModelSections, type StoreFileReader } from '@feather-db/core';

/** Load tasks (~1 MiB each) the main thread runs per event-loop turn: a few ms, so other work keeps running. */
const kTasksPerTurn = 4;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The main thread's half of an open, while the writer prepares: the mirror, built with every check from the
 * model sections `sections` (the COLUMNS bytes the writer copies its model from), then tasks of the load
 * (`load`, planned by this thread and shared with the writer), a few per event-loop turn, until none is left.
 * The writer finishes the load (its open) once both threads are done.
 * @throws FEATHER_ERR_CORRUPT.
 */
export async function loadOnMainThread(file: StoreFileReader, io: FileIo, load: GraphLoad, sections: ModelSections): Promise<MemoryModel> {
  const mirror = modelFromSections(sections, file.path);
  for (;;) {
    load.work(io, mirror, kTasksPerTurn);
    if (load.finished) return mirror;
    // Also while the writer finishes its last task of phase one, which phase two waits for.
    await yieldToLoop();
  }
}
