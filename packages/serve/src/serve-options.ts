// feather-serve's options, from flags and the environment (a flag wins over its variable).
import { parseArgs } from 'node:util';
import { kEmbedProviders, type EmbedProvider } from '@feather-db/embed';
import { describeValue, FeatherError, type Embedder } from 'feather-db';

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** The store file (created when missing). */
  path: string;
  /** The store's dimension: required with `embed: 'none'` for a new store; otherwise it must equal the embedder's. */
  dim?: number;
  /** Default 7700 (`FEATHER_PORT`); 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1' (`FEATHER_HOST`). */
  host?: string;
  /** Default 'local' (`FEATHER_EMBED_PROVIDER`). */
  embed?: EmbedProvider;
  /** A ready embedder to use instead of creating one from `embed` (not closed by the server). */
  embedder?: Embedder;
  /** `FEATHER_API_KEY`; absent: the key in `<path>.key`, created on the first start. */
  apiKey?: string;
  /** No auth, and 127.0.0.1 only. */
  dev?: boolean;
  /** Largest request body in bytes. Default 16 MiB. */
  bodyLimit?: number;
  /** pino level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'. Default 'info'. */
  logLevel?: string;
  /** Reader-pool size of the store (default `FEATHER_LOAD_THREADS`, else the core count). */
  threads?: number;
}

export interface CliOptions extends ServeOptions {
  stdio: boolean;
  help: boolean;
  version: boolean;
}

export const kUsage = `Usage: feather-serve [file] [options]

Serves a Feather store over REST (/api/v1, OpenAPI at /api/v1/openapi.json), MCP (/mcp, or --stdio),
/health and Prometheus /metrics.

  file                 the store (default memory.feather; created when missing)
  --dim N              vector dimension (FEATHER_DIM); needed with --embed none for a new store
  --port N             default 7700 (FEATHER_PORT)
  --host ADDR          default 127.0.0.1 (FEATHER_HOST)
  --embed PROVIDER     local (default, offline) | openai | gemini | none (FEATHER_EMBED_PROVIDER;
                       keys: OPENAI_API_KEY, GOOGLE_API_KEY)
  --api-key KEY        (FEATHER_API_KEY) default: the key in <file>.key, created on the first start
  --dev                no auth; binds 127.0.0.1 only
  --stdio              MCP over stdin/stdout instead of HTTP
  --body-limit BYTES   largest request body (default 16777216)
  --log-level LEVEL    pino level (default info)
  --threads N          reader threads (FEATHER_LOAD_THREADS)
  -h, --help           this text
  --version            the version`;

function integer(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${name} must be an integer in [${min}, ${max}], got ${describeValue(value)}`, {
      path: name,
    });
  return n;
}

function provider(value: string | undefined): EmbedProvider | undefined {
  if (value === undefined) return undefined;
  if (!(kEmbedProviders as readonly string[]).includes(value)) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `--embed must be one of ${kEmbedProviders.join(', ')}, got ${describeValue(value)}`,
      { path: '--embed' },
    );
  }
  return value as EmbedProvider;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** Flags first, then the environment. @throws FEATHER_ERR_INVALID_ARGUMENT naming the flag. */
export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliOptions {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof kFlags; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: kFlags, allowPositionals: true, strict: true });
  } catch (error) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${(error as Error).message}; run feather-serve --help`, { path: 'argv' });
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1)
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `feather-serve takes one store file, got ${positionals.length}: ${positionals.join(' ')}`,
      { path: 'file' },
    );
  const options: CliOptions = {
    path: positionals[0] ?? 'memory.feather',
    stdio: v.stdio ?? false,
    help: v.help ?? false,
    version: v.version ?? false,
    dev: v.dev ?? false,
  };
  const set = <K extends keyof CliOptions>(key: K, value: CliOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('dim', integer(v.dim ?? nonEmpty(env['FEATHER_DIM']), '--dim', 1, 65_536));
  set('port', integer(v.port ?? nonEmpty(env['FEATHER_PORT']), '--port', 0, 65_535));
  set('host', v.host ?? nonEmpty(env['FEATHER_HOST']));
  set('embed', provider(v.embed ?? nonEmpty(env['FEATHER_EMBED_PROVIDER'])));
  set('apiKey', v['api-key'] ?? nonEmpty(env['FEATHER_API_KEY']));
  set('bodyLimit', integer(v['body-limit'], '--body-limit', 1024, 2 ** 31 - 1));
  set('logLevel', v['log-level']);
  set('threads', integer(v.threads, '--threads', 1, 256));
  return options;
}

const kFlags = {
  dim: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  embed: { type: 'string' },
  'api-key': { type: 'string' },
  dev: { type: 'boolean' },
  stdio: { type: 'boolean' },
  'body-limit': { type: 'string' },
  'log-level': { type: 'string' },
  threads: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;
