import { FeatherError, type Embedder } from 'feather-db';

/**
 * No model: the store takes vectors only. `embed` always fails with a message saying so, which is what a
 * text request to a server started with `--embed none` answers. Id `'none'` (a store opened for it records no
 * model).
 */
export class NoneEmbedder implements Embedder {
  readonly id = 'none';
  readonly dim: number;

  constructor(dim: number) {
    this.dim = dim;
  }

  embed(): Promise<Float32Array[]> {
    return Promise.reject(
      new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        'this store has no embedder (provider "none"): send vectors instead of text, or use the local, openai or gemini provider',
        { provider: 'none' },
      ),
    );
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
