// Which embedder a command uses for text.
import type { Embedder } from 'feather-db';

export const kEmbedChoices = ['auto', 'none'] as const;
export type EmbedChoice = (typeof kEmbedChoices)[number];

export function loadEmbedder(_choice: EmbedChoice, _store: string | undefined): Promise<Embedder | undefined> {
  return Promise.resolve(undefined);
}
