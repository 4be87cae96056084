// The one open path (docs/format.md, "Opening"; ADR 0006). An open is shared by two threads: the opening
// thread plans the load, reads the model's sections and builds its own model from them with every check (the
// facade's mirror), while the writer builds the authoritative model over the same bytes; both then
// run load tasks until none is left, the writer finishes the load and replays the WAL. openShared drives it;
// the facade calls it with RPCs to the writer worker, the corruption suite with an in-process StoreEngine.
import type { KernelArena } from '../arena.js';
import type { FileIo } from '../format/file-io.js';
import { modelFromSections, readModelSections, type ModelSections } from '../format/store-codec.js';
import { StoreFileReader } from '../format/store-file.js';
import { MemoryModel } from '../records/memory-model.js';
import { GraphLoad } from './graph-load.js';
import { checkSameCommit } from './open-race.js';
import type { SharedOpenHalf } from './writer-load.js';

/** The writer's two calls of an open, as the opening thread makes them. */
export interface OpenWriter<R extends { fileSeq: number | null }> {
  /** Runs the writer's share of the load (prepareShared) and settles once it is done. */
  prepare(half: SharedOpenHalf): Promise<void>;
  /** Finishes that load (or creates the store: `half` undefined, no file), then replays the WAL. */
  open(half: SharedOpenHalf | undefined): Promise<R>;
}

/** How the opening thread shares the load: `tasksPerTurn` tasks (~1 MiB each), then `turn()` (a yield). */
export interface OpenTurns {
  tasksPerTurn: number;
  turn(): Promise<void>;
}

/**
 * Opens `path` with `writer`: plans the load here, starts the writer's share, builds this thread's model (the
 * mirror) and runs tasks `turns.tasksPerTurn` at a time until none is left, then has the writer finish. This
 * thread's error wins over the writer's (it checked the bytes the writer decodes unchecked). Resolves with the
 * mirror, which still lacks the WAL's ops (in `opened`), and the writer's result.
 * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO (an OpenRace when the file changed
 * meanwhile: see isOpenRace), and whatever the writer's calls throw.
 */
export async function openShared<R extends { fileSeq: number | null }>(
  io: FileIo,
  path: string,
  arena: KernelArena,
  writer: OpenWriter<R>,
  turns: OpenTurns,
): Promise<{ mirror: MemoryModel; opened: R }> {
  // Each step below is a turn of its own: the caller's start of the open (a lock, the threads), the plan and
  // the model's sections, the mirror's decode, then the load's tasks, `tasksPerTurn` at a time.
  await turns.turn();
  const opening = StoreOpening.begin(io, path, arena);
  try {
    const mirror = opening === undefined ? new MemoryModel() : await opening.share(writer.prepare(opening.half), turns);
    const opened = await writer.open(opening?.half);
    checkSameCommit(path, opening?.commitSeq ?? null, opened.fileSeq);
    return { mirror, opened };
  } finally {
    // Every thread that read through the descriptor is done with it by now.
    opening?.close();
  }
}

/** The opening thread's side: the file, the planned load and the model's sections it read. */
class StoreOpening {
  readonly #io: FileIo;
  readonly #file: StoreFileReader;
  readonly #load: GraphLoad;
  readonly #sections: ModelSections;

  private constructor(io: FileIo, file: StoreFileReader, load: GraphLoad, sections: ModelSections) {
    this.#io = io;
    this.#file = file;
    this.#load = load;
    this.#sections = sections;
  }

  /**
   * Plans the load of `path` into `arena` (graphs reserved, bulk sections cut into tasks) and reads the model's
   * sections (COLUMNS into shared memory); undefined when there is no file.
   */
  static begin(io: FileIo, path: string, arena: KernelArena): StoreOpening | undefined {
    if (!io.exists(path)) return undefined;
    const file = StoreFileReader.open(io, path);
    try {
      return new StoreOpening(io, file, GraphLoad.plan(file, arena), readModelSections(file, true));
    } catch (error) {
      file.close();
      throw error;
    }
  }

  /** What the writer's share of the load takes. */
  get half(): SharedOpenHalf {
    const s = this.#sections;
    const columns = s.kind === 'columns';
    return { fd: this.#file.fd, load: this.#load.plan, columns: columns ? s.records : undefined, strings: columns ? s.strings : undefined };
  }

  /** The commit of the file this thread read. */
  get commitSeq(): number {
    return this.#sections.commitSeq;
  }

  /** Builds the mirror with every check, then runs tasks until none is left; then waits for the writer's share. */
  async share(prepared: Promise<void>, turns: OpenTurns): Promise<MemoryModel> {
    // Handled from the start: the writer may fail while this thread still works; its error waits for this one's.
    const writer = prepared.then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
    let mirror: MemoryModel;
    try {
      await turns.turn();
      mirror = modelFromSections(this.#sections, this.#file.path);
      await turns.turn();
      for (;;) {
        this.#load.work(this.#io, mirror, turns.tasksPerTurn);
        if (this.#load.finished) break;
        // Also while the writer finishes its last task of phase one, which phase two waits for.
        await turns.turn();
      }
    } catch (error) {
      // The writer stops before this thread's error is thrown.
      this.#load.abandon();
      await writer;
      throw error;
    }
    const outcome = await writer;
    if (outcome !== undefined) throw outcome.error;
    return mirror;
  }

  close(): void {
    this.#file.close();
  }
}
