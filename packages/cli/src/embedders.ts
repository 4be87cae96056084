// Which embedder a command uses for text, and loading it only when a text needs it.
import { createEmbedder, kLocalModelDim, kLocalModelId } from '@feather-db/embed';
import type { Embedder, EmbedOptions } from 'feather-db';

/** `auto`: the store's own model when feather can run it (the local one), else none. */
export const kEmbedChoices = ['auto', 'local', 'openai', 'gemini', 'none'] as const;
export type EmbedChoice = (typeof kEmbedChoices)[number];

/**
 * The local model, loaded on the first text it is given: an import whose rows all carry vectors never pays
 * for the model threads.
 */
class LazyLocalEmbedder implements Embedder {
  readonly id = kLocalModelId;
  readonly dim = kLocalModelDim;
  #loading: Promise<Embedder> | undefined;

  async embed(texts: readonly string[], options?: EmbedOptions): Promise<Float32Array[]> {
    this.#loading ??= createEmbedder({ provider: 'local' });
    return (await this.#loading).embed(texts, options);
  }

  async close(): Promise<void> {
    await (await this.#loading?.catch(() => undefined))?.close();
  }
}

/**
 * The embedder `choice` names for a store whose recorded model is `storeModel` (undefined: a store not created
 * yet). `auto` gives the local model for a store filled by it, or for a new one (the caller drops it when the
 * data brings its own vectors), and nothing otherwise; `openai` and `gemini` read their keys from the environment.
 */
export async function loadEmbedder(choice: EmbedChoice, storeModel: string | null | undefined): Promise<Embedder | undefined> {
  switch (choice) {
    case 'none':
      return undefined;
    case 'auto':
      return storeModel === undefined || storeModel === kLocalModelId ? new LazyLocalEmbedder() : undefined;
    case 'local':
      return new LazyLocalEmbedder();
    case 'openai':
    case 'gemini':
      return createEmbedder({ provider: choice });
  }
}
