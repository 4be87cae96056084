// The engine's fail-closed latch: set when a write or save failed at a point where the files may no longer
// match the model (a WAL append, a save's rename and after, the WAL re-created after a save). Every later
// change is refused with it until the store is opened again, which reads back exactly what the files hold
// (docs/format.md, "Faults").
import { FeatherError } from '../errors.js';

export class FailClosed {
  readonly #path: () => string;
  #failure: FeatherError | undefined;

  constructor(path: () => string) {
    this.#path = path;
  }

  /** The fault that closed the engine for changes, if one did. */
  get failure(): FeatherError | undefined {
    return this.#failure;
  }

  /** @throws the fault that closed the engine, if one did. */
  check(): void {
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** Closes the engine for changes (the first fault is the one kept). */
  fail(error: unknown, what: string): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#failure ??= new FeatherError(
      'FEATHER_ERR_IO',
      `${what} failed (${message}); the store refuses changes until it is opened again, which reads back every acknowledged write from the file and its WAL`,
      { path: this.#path(), reason: 'failed-closed' },
      { cause: error },
    );
  }
}
