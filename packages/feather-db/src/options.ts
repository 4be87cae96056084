import { availableParallelism } from 'node:os';
import { resolveMaintenance, type MaintenanceOptions, type ResolvedMaintenance } from './main/maintenance-options.js';
import {
  checkInt,
  checkKnownKeys,
  checkMetric,
  describeValue,
  FeatherError,
  kDefaultHnswOptions,
  kMaxDim,
  kMaxEf,
  kMaxM,
  type Durability,
  type Metric,
} from '@feather-db/core';

/** Options of {@link Feather.open}. */
export interface OpenOptions {
  /** Vector dimension of the `'text'` modality. Required to create a store; checked against an existing one. */
  dim?: number;
  /** `'cosine'` (default), `'l2'` or `'ip'`. */
  metric?: Metric;
  /** HNSW links per node (level 0 keeps 2·m). Default 16. */
  m?: number;
  /** Candidate list while inserting. Default 200. */
  efConstruction?: number;
  /** Default candidate list for searches. Default 128. */
  efSearch?: number;
  /** Reader-pool size. Default: `FEATHER_LOAD_THREADS`, else the number of cores. */
  threads?: number;
  /**
   * Extra vector spaces beside the default `'text'` one (which takes `dim` and `metric`), e.g.
   * `{ image: { dim: 512 } }`. Each has its own index; a memory may hold one vector per modality.
   */
  modalities?: Record<string, { dim: number; metric?: Metric }>;
  /** Share the file with a writer process: no lock, no WAL writes, every mutation throws FEATHER_ERR_READ_ONLY. */
  readOnly?: boolean;
  /**
   * When a write is acknowledged: `'fsync'` (default) once its WAL group is on disk (survives power loss);
   * `'os'` once the WAL write is handed to the OS (survives a process crash); `'none'` at once, the WAL being
   * written in 1 MiB batches and at save/close (a crash loses writes since the last save or flush).
   */
  durability?: Durability;
  /** Embedding model id recorded in the file header; opening with a different one fails. */
  embeddingModel?: string;
  /**
   * Save automatically once the WAL holds this many bytes, so it (and the replay on the next open) stays
   * bounded. Default 64 MiB; 0 turns it off (then only `save()` folds the WAL in).
   */
  autoSaveWalBytes?: number;
  /**
   * Repair of forgotten memories' graph nodes, which frees their slots for later adds (docs/adr/0008):
   * by default on the insert path once tombstones are a tenth of a graph; `{ mode: 'background' }` runs it on
   * the pool off the write path; `false` never (only `compact()` drops tombstones then).
   */
  maintenance?: MaintenanceOptions | false;
  /**
   * How often recall counts reach the WAL, in ms. A search bumps them in shared memory at once (a read, not a
   * write through the writer) and the store logs every bump of the last interval as one record, and at close;
   * `save()` writes them into the file. A crash loses at most this window of recall counts, never a memory.
   * Default 1000; 0 logs at the end of the event-loop turn of the bump.
   */
  recallFlushMs?: number;
  /**
   * Scheduling priority of the reader pool's threads. `'below-normal'` (default) raises their nice value by 10
   * on Linux, so that when searches or builds fill every core the event loop gets the larger share of a core (it
   * answers requests, resolves searches and feeds the pool; on Linux 6.6+ it may still wait out a running
   * reader's time slice when it wakes: docs/threading.md); the pool still has every idle core. `'normal'`:
   * the process's priority. Elsewhere than Linux the threads always run at the process's priority.
   */
  poolPriority?: PoolPriority;
}

/** See {@link OpenOptions.poolPriority}. */
export type PoolPriority = 'normal' | 'below-normal';

/** How much each pool priority raises the reader threads' nice value (os.constants.priority.PRIORITY_BELOW_NORMAL is 10). */
export const kPoolNiceIncrement: Record<PoolPriority, number> = { normal: 0, 'below-normal': 10 };

/** The modality `dim` and `metric` describe. */
export const kDefaultModality = 'text';

export interface ResolvedOptions {
  dim: number | undefined;
  metric: Metric;
  m: number;
  efConstruction: number;
  efSearch: number;
  threads: number;
  /** Undefined when no dim was given (open an existing store as it is). */
  modalities: Record<string, { dim: number; metric: Metric }> | undefined;
  efSearchGiven: boolean;
  readOnly: boolean;
  durability: Durability;
  embeddingModel: string | undefined;
  autoSaveWalBytes: number;
  maintenance: ResolvedMaintenance;
  recallFlushMs: number;
  poolPriority: PoolPriority;
}

const kOpenKeys = [
  'dim',
  'metric',
  'm',
  'efConstruction',
  'efSearch',
  'threads',
  'modalities',
  'readOnly',
  'durability',
  'embeddingModel',
  'autoSaveWalBytes',
  'maintenance',
  'recallFlushMs',
  'poolPriority',
] as const;

const kMaxThreads = 256;
/** About one recall record a second (design.md §2). */
const kDefaultRecallFlushMs = 1000;
/** A day: longer windows are a mistake (a crash would lose that much), not a setting. */
const kMaxRecallFlushMs = 86_400_000;

/** `FEATHER_LOAD_THREADS` if set (validated), else the machine's parallelism. */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['FEATHER_LOAD_THREADS'];
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > kMaxThreads) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `FEATHER_LOAD_THREADS must be an integer in [1, ${kMaxThreads}], got ${describeValue(raw)}; unset it to use every core`,
    );
  }
  return n;
}

/** Validates `Feather.open` arguments once, naming the option path and the value received. */
export function resolveOpenOptions(path: unknown, options: unknown): ResolvedOptions {
  if (typeof path !== 'string' || path.length === 0) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `path must be a non-empty string such as 'memory.feather', got ${describeValue(path)}`,
    );
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options must be an object like { dim: 384 }, got ${describeValue(options)}`);
  }
  const o = (options ?? {}) as OpenOptions;
  checkKnownKeys(o, kOpenKeys, 'options');
  if (o.dim !== undefined) checkInt(o.dim, 'options.dim', 1, kMaxDim);
  const metric = checkMetric(o.metric ?? kDefaultHnswOptions.metric, 'options.metric');
  const modalities: Record<string, { dim: number; metric: Metric }> | undefined =
    o.dim === undefined ? undefined : { [kDefaultModality]: { dim: o.dim, metric } };
  if (o.modalities !== undefined && modalities === undefined) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', "options.modalities needs options.dim too (the 'text' modality's dimension)");
  }
  if (o.modalities !== undefined && modalities !== undefined) {
    if (typeof o.modalities !== 'object' || o.modalities === null) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `options.modalities must be an object like { image: { dim: 512 } }, got ${describeValue(o.modalities)}`,
      );
    }
    for (const [name, spec] of Object.entries(o.modalities)) {
      const path = `options.modalities.${name}`;
      if (name === kDefaultModality || name.length === 0 || name.length > 64) {
        throw new FeatherError(
          'FEATHER_ERR_INVALID_ARGUMENT',
          `${path}: modality names are 1-64 characters and not '${kDefaultModality}' (set its dim and metric at the top level)`,
        );
      }
      if (typeof spec !== 'object' || spec === null)
        throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path} must be an object like { dim: 512 }, got ${describeValue(spec)}`);
      checkKnownKeys(spec, ['dim', 'metric'], path);
      checkInt(spec.dim, `${path}.dim`, 1, kMaxDim);
      modalities[name] = { dim: spec.dim, metric: checkMetric(spec.metric ?? kDefaultHnswOptions.metric, `${path}.metric`) };
    }
  }
  const m = o.m ?? kDefaultHnswOptions.m;
  const efConstruction = o.efConstruction ?? kDefaultHnswOptions.efConstruction;
  const efSearch = o.efSearch ?? kDefaultHnswOptions.efSearch;
  const threads = o.threads ?? defaultThreads();
  checkInt(m, 'options.m', 2, kMaxM);
  checkInt(efConstruction, 'options.efConstruction', 1, kMaxEf);
  checkInt(efSearch, 'options.efSearch', 1, kMaxEf);
  checkInt(threads, 'options.threads', 1, kMaxThreads);
  const readOnly = o.readOnly ?? false;
  if (typeof readOnly !== 'boolean')
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `options.readOnly must be true or false, got ${describeValue(readOnly)}`);
  const durability = o.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'os' && durability !== 'none') {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.durability must be 'fsync', 'os' or 'none', got ${describeValue(durability)}`,
    );
  }
  if (
    o.embeddingModel !== undefined &&
    (typeof o.embeddingModel !== 'string' || o.embeddingModel.length === 0 || new TextEncoder().encode(o.embeddingModel).length > 64)
  ) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.embeddingModel must be a non-empty string of at most 64 UTF-8 bytes, got ${describeValue(o.embeddingModel)}`,
    );
  }
  const autoSaveWalBytes = o.autoSaveWalBytes ?? 64 * 2 ** 20;
  checkInt(autoSaveWalBytes, 'options.autoSaveWalBytes', 0, Number.MAX_SAFE_INTEGER);
  const maintenance = resolveMaintenance(o.maintenance);
  const recallFlushMs = o.recallFlushMs ?? kDefaultRecallFlushMs;
  checkInt(recallFlushMs, 'options.recallFlushMs', 0, kMaxRecallFlushMs);
  const poolPriority = o.poolPriority ?? 'below-normal';
  if (poolPriority !== 'normal' && poolPriority !== 'below-normal') {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `options.poolPriority must be 'below-normal' (the default) or 'normal', got ${describeValue(poolPriority)}`,
    );
  }
  return {
    dim: o.dim,
    metric,
    m,
    efConstruction,
    efSearch,
    threads,
    modalities,
    efSearchGiven: o.efSearch !== undefined,
    readOnly,
    durability,
    embeddingModel: o.embeddingModel,
    autoSaveWalBytes,
    maintenance,
    recallFlushMs,
    poolPriority,
  };
}
