// feather search <file> <text…> | --vector <json>: the nearest memories, from a readOnly load.
import { Option, type Command } from 'commander';
import { FeatherError, type Attributes, type SearchHit } from 'feather-db';
import { integer, jsonValue } from '../cli-options.js';
import { kEmbedChoices, loadEmbedder, type EmbedChoice } from '../embedders.js';
import { kExitOk } from '../exit-codes.js';
import { Output } from '../output.js';
import { openForReading } from '../store.js';
import { guarded } from './guarded.js';

interface SearchFlags {
  vector?: unknown;
  k: number;
  namespace?: string;
  entity?: string;
  filter?: unknown;
  ef?: number;
  embed: EmbedChoice;
  json?: boolean;
}

export function registerSearch(program: Command, done: (code: number) => void): void {
  program
    .command('search')
    .description("the memories nearest to a text (embedded with the store's model) or to a vector")
    .argument('<file>', 'the .feather file')
    .argument('[text...]', 'the query text')
    .option('--vector <json>', 'the query vector as a JSON array instead of text', jsonValue('an array of numbers'))
    .option('-k, --k <n>', 'results', integer(1, 100_000), 10)
    .option('--namespace <name>', 'only this namespace')
    .option('--entity <name>', 'only this entity')
    .option('--filter <json>', 'only memories whose attributes hold these pairs, e.g. {"source":"chat"}', jsonValue('an object'))
    .option('--ef <n>', "candidate list size (default: the store's efSearch)", integer(1, 100_000))
    .addOption(new Option('--embed <provider>', 'embedder for the text').choices(kEmbedChoices).default('auto'))
    .option('--json', 'print the hits as JSON')
    .action(async (file: string, words: string[], flags: SearchFlags) => {
      const out = new Output(flags);
      done(
        await guarded(out, async () => {
          const text = words.join(' ');
          if ((text === '') === (flags.vector === undefined))
            throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', 'give the query as text or as --vector [..], one of the two');
          const db = await openForReading(file);
          const embedder = text === '' ? undefined : await loadEmbedder(flags.embed, db.embeddingModel);
          try {
            if (text !== '' && embedder === undefined) {
              throw new FeatherError(
                'FEATHER_ERR_INVALID_ARGUMENT',
                `${file} has no embedding model feather can run (${db.embeddingModel ?? 'none recorded'}); search it with --vector [..]`,
              );
            }
            const query = embedder === undefined ? (flags.vector as number[]) : (await embedder.embed([text]))[0]!;
            const hits = await db.search(query, {
              k: flags.k,
              namespace: flags.namespace,
              entity: flags.entity,
              filter: flags.filter as Attributes | undefined,
              ef: flags.ef,
            });
            out.result(hits, () => describe(hits));
            return kExitOk;
          } finally {
            await Promise.all([db.close(), embedder?.close()]);
          }
        }),
      );
    });
}

function describe(hits: SearchHit[]): string[] {
  if (hits.length === 0) return ['no memories match'];
  return hits.map((h, i) => {
    const text = h.text.length > 80 ? `${h.text.slice(0, 79)}…` : h.text;
    const scope = h.entity === null ? h.namespace : `${h.namespace}/${h.entity}`;
    return `${String(i + 1).padStart(3)}. ${h.score.toFixed(4)}  ${JSON.stringify(h.id)}  [${scope}]  ${text}`;
  });
}
