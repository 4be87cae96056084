// feather export <file>: every memory as a JSON line (after a `$feather` header naming the store), ready for
// `feather import` into another store.
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import type { ExportRow, Feather } from 'feather-db';
import { kExitOk } from '../exit-codes.js';
import { Output } from '../output.js';
import { kHeaderKey } from '../sources/jsonl-source.js';
import { openForReading } from '../store.js';
import { guarded } from './guarded.js';

interface ExportFlags {
  namespace?: string;
  vectors?: boolean;
  out?: string;
  header: boolean;
}

export function registerExport(program: Command, done: (code: number) => void): void {
  program
    .command('export')
    .description('write every memory (text, metadata, recall state, edges, optionally vectors) as JSONL, oldest first')
    .argument('<file>', 'the .feather file')
    .option('--namespace <name>', 'only this namespace')
    .option('--vectors', 'include the vectors (exact: import restores them bit for bit)')
    .option('--out <path>', 'write to this file (atomically) instead of stdout')
    .option('--no-header', 'leave out the first line describing the store ({"$feather": {...}})')
    .action(async (file: string, flags: ExportFlags) => {
      const out = new Output({ quiet: true });
      done(
        await guarded(out, async () => {
          const db = await openForReading(file);
          try {
            await write(db, flags);
            return kExitOk;
          } finally {
            await db.close();
          }
        }),
      );
    });
}

async function write(db: Feather, flags: ExportFlags): Promise<void> {
  const tmp = flags.out === undefined ? undefined : `${flags.out}.tmp`;
  const stream = tmp === undefined ? process.stdout : createWriteStream(tmp);
  let closed = false;
  let failure: Error | undefined;
  // A reader that stops early (`| head`) is not an error: stop writing.
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') closed = true;
    else failure = error;
  });
  const put = async (line: string): Promise<void> => {
    if (failure !== undefined) throw failure;
    if (stream.write(`${line}\n`)) return;
    try {
      await once(stream, 'drain');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      closed = true;
    }
  };
  try {
    if (flags.header) {
      const modalities = Object.fromEntries(
        Object.entries(db.stats().modalities)
          .filter(([name]) => name !== 'text')
          .map(([name, m]) => [name, { dim: m.dim, metric: m.metric }]),
      );
      await put(
        JSON.stringify({ [kHeaderKey]: { version: 1, dim: db.dim, metric: db.metric, modalities, embeddingModel: db.embeddingModel } }),
      );
    }
    for await (const row of db.export({ namespace: flags.namespace, vectors: flags.vectors === true })) {
      if (closed) break;
      await put(rowJson(row));
    }
    if (tmp !== undefined) {
      await new Promise<void>((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
      renameSync(tmp, flags.out!);
    }
  } catch (error) {
    if (tmp !== undefined) rmSync(tmp, { force: true });
    throw error;
  }
}

/** One row as JSON, vectors written with the fewest digits that read back as the same float32. */
function rowJson(row: ExportRow): string {
  const { vector, vectors, ...fields } = row;
  const parts = [JSON.stringify(fields).slice(0, -1)];
  if (vector !== undefined) parts.push(`"vector":${floats(vector)}`);
  if (vectors !== undefined)
    parts.push(
      `"vectors":{${Object.entries(vectors)
        .map(([name, v]) => `${JSON.stringify(name)}:${floats(v)}`)
        .join(',')}}`,
    );
  return `${parts.join(',')}}`;
}

function floats(v: Float32Array): string {
  let out = '[';
  for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + shortest(v[i]!);
  return `${out}]`;
}

function shortest(x: number): string {
  // JSON.stringify writes -0 as 0; the bits of a vector must survive.
  if (Object.is(x, -0)) return '-0';
  for (let digits = 6; digits < 9; digits++) {
    const s = Number(x.toPrecision(digits));
    if (Math.fround(s) === x) return String(s);
  }
  return String(x);
}
