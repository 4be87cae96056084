// feather import <file> <source…>: streams each source into the store (db.ingest), then saves.
import { setMaxListeners } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import {
  Feather,
  FeatherError,
  inspectFileSync,
  type Embedder,
  type IngestFailure,
  type IngestSummary,
  type Metric,
  type OnExisting,
  type OpenOptions,
} from 'feather-db';
import { integer } from '../cli-options.js';
import { loadEmbedder, kEmbedChoices, type EmbedChoice } from '../embedders.js';
import { toFeatherError } from '../errors.js';
import { kExitError, kExitInterrupted, kExitOk, kExitProblems } from '../exit-codes.js';
import { count, Output } from '../output.js';
import { ProgressReporter } from '../progress.js';
import { kFormats, openSource, type SourceFormat } from '../sources/open-source.js';
import { PeekedRows } from '../sources/peeked-rows.js';
import type { ImportSource, StoreSpec } from '../sources/source.js';

interface ImportFlags {
  dim?: number;
  metric?: Metric;
  format?: SourceFormat;
  meta?: string;
  namespace?: string;
  batchSize?: number;
  onExisting: OnExisting;
  autoIds?: boolean;
  embed: EmbedChoice;
  threads?: number;
  save: boolean;
  errors?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Failures printed on stderr; --errors keeps them all. */
const kPrintedFailures = 20;
/** Rows looked at to find a vector when a new store's dim must come from the data. */
const kDimProbeRows = 1000;

/** The counts of an ingest summary that the totals add up (with `links`). */
const kSummedCounts = ['read', 'inserted', 'updated', 'skipped', 'failed', 'embedded'] as const satisfies readonly (keyof IngestSummary)[];

interface SourceReport extends Omit<IngestSummary, 'failures'> {
  path: string;
  name: string;
}

interface ImportReport {
  path: string;
  created: boolean;
  sources: SourceReport[];
  /** Each source's counts (kSummedCounts) added up, and its links'. */
  totals: Record<(typeof kSummedCounts)[number] | 'linksAdded' | 'linksFailed', number>;
  /** The first 1,000 failures of each source. */
  failures: (IngestFailure & { source: string })[];
  saved: { bytes: number; ms: number } | null;
  interrupted: boolean;
  elapsedMs: number;
}

export function registerImport(program: Command, done: (code: number) => void): void {
  program
    .command('import')
    .description(
      'stream rows from JSONL, CSV/TSV, .npy or Parquet files into a store (created when missing), then save it; a re-run skips rows already stored',
    )
    .argument('<file>', 'the .feather file (created when it does not exist)')
    .argument('<sources...>', 'files to read in order (- reads JSONL from stdin)')
    .option('--dim <n>', 'dimension of a new store (default: from the data or the embedder)', integer(1, 65536))
    .addOption(new Option('--metric <metric>', 'metric of a new store').choices(['cosine', 'l2', 'ip']))
    .addOption(new Option('--format <format>', 'read every source as this format (default: by extension)').choices(kFormats))
    .option('--meta <jsonl>', "metadata for a .npy source: line i holds row i's fields (id, text, namespace, ...)")
    .option('--namespace <name>', 'namespace of rows that name none')
    .option('--batch-size <n>', 'rows per batch (default 2048)', integer(1, 1 << 20))
    .addOption(new Option('--on-existing <mode>', 'a row whose id is stored already').choices(['skip', 'upsert', 'error']).default('skip'))
    .option('--auto-ids', 'number rows without an id (default: <source name>:<row>, so a re-run resumes)')
    .addOption(new Option('--embed <provider>', 'embedder for rows with text and no vector').choices(kEmbedChoices).default('auto'))
    .option('--threads <n>', 'threads linking the graph (default: FEATHER_LOAD_THREADS or every core)', integer(1, 256))
    .option('--no-save', 'leave the rows in the WAL instead of saving the file at the end')
    .option('--errors <path>', 'write every failed row as a JSON line to this file')
    .option('--json', 'print the summary as JSON')
    .option('--quiet', 'no progress or failure lines on stderr')
    .action(async (file: string, sources: string[], flags: ImportFlags) => done(await runImport(file, sources, flags)));
}

async function runImport(path: string, paths: string[], flags: ImportFlags): Promise<number> {
  const out = new Output(flags);
  const progress = new ProgressReporter(process.stderr, !flags.quiet);
  const started = performance.now();
  const controller = new AbortController();
  // Every embedder batch waiting its turn listens to this one signal (hundreds, for a large batch of texts).
  setMaxListeners(0, controller.signal);
  const onSigint = (): void => {
    // A second Ctrl-C does not wait for the store to save.
    if (controller.signal.aborted) process.exit(kExitInterrupted);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let db: Feather | undefined;
  let embedder: Embedder | undefined;
  const errorsFile = flags.errors === undefined ? undefined : createWriteStream(flags.errors);
  const report: ImportReport = {
    path,
    created: !existsSync(path),
    sources: [],
    totals: { read: 0, inserted: 0, updated: 0, skipped: 0, failed: 0, embedded: 0, linksAdded: 0, linksFailed: 0 },
    failures: [],
    saved: null,
    interrupted: false,
    elapsedMs: 0,
  };
  try {
    const sources = await Promise.all(paths.map((p) => openSource(p, { format: flags.format, meta: flags.meta })));
    const names = new Set<string>();
    for (const s of sources) {
      if (names.has(s.name) && flags.autoIds !== true)
        throw new FeatherError(
          'FEATHER_ERR_INVALID_ARGUMENT',
          `two sources are named ${s.name}: their rows would get the same ids (${s.name}:1, ...); rename one, or pass --auto-ids`,
        );
      names.add(s.name);
    }
    const rows = sources.map((s) => new PeekedRows(s.rows()));
    embedder = await loadEmbedder(flags.embed, report.created ? undefined : inspectFileSync(path).embeddingModel);
    const spec = report.created ? await specOf(sources[0]!, rows[0]!, flags, embedder) : undefined;
    if (spec !== undefined && flags.embed === 'auto' && embedder !== undefined && spec.embeddingModel !== embedder.id) {
      // The data brings its own vectors, from a model of its own: the local model must not be recorded for them.
      await embedder.close();
      embedder = undefined;
    }
    db = await Feather.open(path, openOptions(spec, flags));
    let printed = 0;
    for (const [i, source] of sources.entries()) {
      // Reads a JSONL export's header line, if it has one, so its declared store is known before any row goes in.
      await rows[i]!.peek(1, () => true);
      checkSpec(source, db);
      if (controller.signal.aborted) break;
      const summary = await db
        .ingest(rows[i]!, {
          sourceName: source.name,
          batchSize: flags.batchSize,
          onExisting: flags.onExisting,
          autoIds: flags.autoIds === true,
          namespace: flags.namespace,
          embedder,
          signal: controller.signal,
          onProgress: (p) => progress.update(source, p),
          onFailure: (f) => {
            errorsFile?.write(`${JSON.stringify({ source: source.name, ...f })}\n`);
            if (printed++ < kPrintedFailures && !flags.quiet) {
              progress.clear();
              out.note(`${source.name} row ${f.row}${f.id === undefined ? '' : ` (${JSON.stringify(f.id)})`}: ${f.code}: ${f.message}`);
            }
          },
        })
        .catch((error: unknown) => {
          if (error instanceof FeatherError && error.code === 'FEATHER_ERR_ABORTED') {
            report.interrupted = true;
            return partial(error);
          }
          throw error;
        });
      progress.update(source, summary, true);
      add(report, source, summary);
      if (report.interrupted) break;
    }
    if (printed > kPrintedFailures)
      out.note(
        `... and ${count(printed - kPrintedFailures)} more failures${flags.errors === undefined ? ' (--errors <file> keeps them all)' : ` (all in ${flags.errors})`}`,
      );
    if (flags.save) report.saved = await db.save();
    report.elapsedMs = Math.round(performance.now() - started);
    out.result(report, () => describe(report));
    return report.interrupted ? kExitInterrupted : report.totals.failed + report.totals.linksFailed > 0 ? kExitProblems : kExitOk;
  } catch (caught) {
    progress.clear();
    // Keep what was stored: the next run resumes from it.
    if (db !== undefined && flags.save) await db.save().catch(() => undefined);
    out.error(toFeatherError(caught));
    return kExitError;
  } finally {
    process.off('SIGINT', onSigint);
    await db?.close().catch(() => undefined);
    await embedder?.close().catch(() => undefined);
    await new Promise<void>((resolve) => (errorsFile === undefined ? resolve() : errorsFile.end(resolve)));
  }
}

/** An aborted ingest's counts (its error's details) as a summary. */
function partial(error: FeatherError): IngestSummary {
  const d = (error.details ?? {}) as Record<string, number>;
  return {
    read: d['read'] ?? 0,
    inserted: d['inserted'] ?? 0,
    updated: d['updated'] ?? 0,
    skipped: d['skipped'] ?? 0,
    failed: d['failed'] ?? 0,
    embedded: d['embedded'] ?? 0,
    rowsPerSecond: 0,
    elapsedMs: 0,
    failures: [],
    links: { added: 0, failed: 0 },
  };
}

function add(report: ImportReport, source: ImportSource, summary: IngestSummary): void {
  const { failures, ...counts } = summary;
  report.sources.push({ path: source.path, name: source.name, ...counts });
  report.failures.push(...failures.map((f) => ({ source: source.name, ...f })));
  const t = report.totals;
  for (const key of kSummedCounts) t[key] += summary[key];
  t.linksAdded += summary.links.added;
  t.linksFailed += summary.links.failed;
}

/** A new store's settings: the flags, else what the first source declares, else its first vector, else the embedder. */
async function specOf(source: ImportSource, rows: PeekedRows, flags: ImportFlags, embedder: Embedder | undefined): Promise<StoreSpec> {
  const first = await rows.peek(kDimProbeRows, (r) => !(r instanceof Error) && r.vector !== undefined);
  const declared: StoreSpec = source.spec ?? {};
  const dim = flags.dim ?? declared.dim ?? (first instanceof Error || first?.vector === undefined ? undefined : first.vector.length);
  if (dim === undefined) {
    // Texts only: the store takes the embedder's dimension and records its model.
    if (embedder !== undefined)
      return { ...declared, dim: embedder.dim, metric: flags.metric ?? declared.metric, embeddingModel: embedder.id };
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `cannot tell the dimension of the new store: no vector in the first ${kDimProbeRows} rows of ${source.path} and no embedder; pass --dim`,
    );
  }
  return {
    ...declared,
    dim,
    metric: flags.metric ?? declared.metric,
    embeddingModel: declared.embeddingModel ?? (flags.embed === 'auto' ? undefined : embedder?.id),
  };
}

function openOptions(spec: StoreSpec | undefined, flags: ImportFlags): OpenOptions {
  const options: OpenOptions = { threads: flags.threads };
  if (spec !== undefined) {
    options.dim = spec.dim;
    options.metric = spec.metric;
    if (spec.modalities !== undefined && Object.keys(spec.modalities).length > 0) options.modalities = spec.modalities;
    if (typeof spec.embeddingModel === 'string') options.embeddingModel = spec.embeddingModel;
  } else if (flags.dim !== undefined) {
    options.dim = flags.dim;
    if (flags.metric !== undefined) options.metric = flags.metric;
  }
  return options;
}

/** A source that declares its store (an export) must match the one it goes into. */
function checkSpec(source: ImportSource, db: Feather): void {
  const dim = source.spec?.dim;
  if (dim !== undefined && dim !== db.dim) {
    throw new FeatherError(
      'FEATHER_ERR_DIMENSION_MISMATCH',
      `${source.path} holds ${dim}-dimensional vectors, ${db.path} ${db.dim}-dimensional ones; import it into a store of its own`,
      { expected: db.dim, received: dim },
    );
  }
  const model = source.spec?.embeddingModel;
  if (typeof model === 'string' && db.embeddingModel !== null && model !== db.embeddingModel) {
    throw new FeatherError(
      'FEATHER_ERR_DIMENSION_MISMATCH',
      `${source.path} holds vectors of "${model}", ${db.path} of "${db.embeddingModel}": vectors of two models do not compare; import it into a store of its own`,
      { expected: db.embeddingModel, received: model },
    );
  }
  const metric = source.spec?.metric;
  if (metric !== undefined && metric !== db.metric) {
    throw new FeatherError(
      'FEATHER_ERR_DIMENSION_MISMATCH',
      `${source.path} was exported from a ${metric} store, ${db.path} ranks by ${db.metric}; import it into a store of its own`,
      { expected: db.metric, received: metric },
    );
  }
}

function describe(r: ImportReport): string[] {
  const lines: string[] = [];
  for (const s of r.sources) {
    lines.push(
      `${s.name}: ${count(s.read)} rows read: ${count(s.inserted)} inserted, ${count(s.updated)} updated, ${count(s.skipped)} skipped, ${count(s.failed)} failed` +
        (s.embedded > 0 ? `, ${count(s.embedded)} texts embedded` : '') +
        (s.links.added + s.links.failed > 0 ? `; links ${count(s.links.added)} added, ${count(s.links.failed)} failed` : ''),
    );
  }
  const saved = r.saved === null ? 'not saved (rows are in the WAL)' : `saved (${count(r.saved.bytes)} bytes)`;
  lines.push(
    `${r.path}: ${r.created ? 'created, ' : ''}${saved}, ${(r.elapsedMs / 1000).toFixed(1)} s${r.interrupted ? '; INTERRUPTED: run the same command again to resume' : ''}`,
  );
  return lines;
}
