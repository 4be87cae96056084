import { setTimeout as sleep } from 'node:timers/promises';
import { describeValue, FeatherError } from 'feather-db';
import { abortedError, throwIfAborted } from './limiter.js';
import { checkOptionsShape } from './options.js';

/** Timeouts and retries of a provider's HTTP calls. */
export interface HttpOptions {
  /** Per attempt. Default 30,000 ms. */
  timeoutMs?: number;
  /** Further attempts after a timeout, a network error, a 429 or a 5xx. Default 4. */
  retries?: number;
  /** First backoff; doubles each retry, with full jitter, capped by maxDelayMs. Default 500 ms. */
  baseDelayMs?: number;
  /** Longest wait between attempts, including a server's Retry-After. Default 8,000 ms. */
  maxDelayMs?: number;
  /** How the backoff waits, draws its jitter and reads the clock; each defaults to the real one. For tests. */
  timers?: HttpTimers;
}

/** The time and chance the backoff depends on, replaceable so a test can observe each wait without waiting. */
export interface HttpTimers {
  /** Waits `ms` before the next attempt; rejects when `signal` aborts. Default: a timer. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** The jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Epoch ms, to turn a Retry-After date into a wait. Default `Date.now`. */
  now?: () => number;
}

/** HttpOptions with every default filled in. */
export type CheckedHttpOptions = Required<Omit<HttpOptions, 'timers'>> & { timers: Required<HttpTimers> };

const kDefaultTimers: Readonly<Required<HttpTimers>> = Object.freeze({
  sleep: (ms: number, signal: AbortSignal | undefined) => sleep(ms, undefined, { signal }),
  random: () => Math.random(),
  now: () => Date.now(),
});

const kDefaultHttpOptions: Readonly<Required<Omit<HttpOptions, 'timers'>>> = Object.freeze({
  timeoutMs: 30_000,
  retries: 4,
  baseDelayMs: 500,
  maxDelayMs: 8_000,
});

export function checkHttpOptions(o: HttpOptions, path: string): CheckedHttpOptions {
  const given = checkOptionsShape<HttpTimers>(o.timers, ['sleep', 'random', 'now'], `${path}.timers`);
  for (const [key, fn] of Object.entries(given)) {
    if (fn !== undefined && typeof fn !== 'function')
      throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', `${path}.timers.${key} must be a function, got ${describeValue(fn)}`, {
        path: `${path}.timers.${key}`,
      });
  }
  const timers = {
    ...kDefaultTimers,
    ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)),
  } as Required<HttpTimers>;
  const out = {
    ...kDefaultHttpOptions,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    timers,
  } as CheckedHttpOptions;
  for (const key of ['timeoutMs', 'retries', 'baseDelayMs', 'maxDelayMs'] as const) {
    const v = out[key];
    if (!Number.isInteger(v) || v < (key === 'timeoutMs' ? 1 : 0) || v > 3_600_000) {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `${path}.${key} must be an integer ms count (or retry count) >= ${key === 'timeoutMs' ? 1 : 0}, got ${describeValue(v)}`,
        { path: `${path}.${key}` },
      );
    }
  }
  return out;
}

/** Who is called: a display name for messages, the id for `details.provider`, the key's variable. */
export interface ProviderInfo {
  name: string;
  id: string;
  keyEnv: string;
  /** Whether a final (non-retried) answer means the key was refused. */
  isBadKey: (status: number, body: unknown) => boolean;
}

interface Attempt {
  why: string;
  status: number | undefined;
  retryAfterMs: number | undefined;
}

/**
 * POSTs JSON and returns the parsed answer. Retries timeouts, network errors, 429 and 5xx with exponential
 * backoff (honouring Retry-After); any other non-2xx is final (a refused key says which variable to set). Never logs or echoes
 * the headers (they carry the key).
 * @throws FEATHER_ERR_EMBEDDER, FEATHER_ERR_ABORTED.
 */
export async function postJson(
  provider: ProviderInfo,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  http: CheckedHttpOptions,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const { timers } = http;
  let last: Attempt | undefined;
  for (let attempt = 0; attempt <= http.retries; attempt++) {
    if (attempt > 0) {
      const backoff = timers.random() * Math.min(http.maxDelayMs, http.baseDelayMs * 2 ** (attempt - 1));
      const wait = Math.min(http.maxDelayMs, Math.max(backoff, last?.retryAfterMs ?? 0));
      try {
        await timers.sleep(wait, signal);
      } catch {
        throw abortedError('embed');
      }
    }
    throwIfAborted(signal, 'embed');
    const timeout = AbortSignal.timeout(http.timeoutMs);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      throwIfAborted(signal, 'embed');
      const why = timeout.aborted ? `timed out after ${http.timeoutMs} ms` : `could not be reached (${causeOf(error)})`;
      last = { why, status: undefined, retryAfterMs: undefined };
      continue;
    }
    const text = await response.text().catch(() => '');
    const parsed = parseJson(text);
    if (response.ok) {
      if (parsed === undefined)
        throw new FeatherError(
          'FEATHER_ERR_EMBEDDER',
          `${provider.name} answered ${response.status} with a body that is not JSON: ${describeValue(text)}`,
          { provider: provider.id, status: response.status },
        );
      return parsed;
    }
    if (response.status !== 429 && response.status < 500) throw refusalError(provider, response.status, parsed ?? text);
    last = {
      why: `answered ${response.status}${providerMessage(parsed) === undefined ? '' : `: ${providerMessage(parsed)}`}`,
      status: response.status,
      retryAfterMs: retryAfterMs(response.headers.get('retry-after'), timers.now()),
    };
  }
  throw new FeatherError(
    'FEATHER_ERR_EMBEDDER',
    `${provider.name} ${last?.why ?? 'failed'} on each of ${http.retries + 1} attempts; check the provider's status and your rate limits, or raise retries/timeoutMs`,
    { provider: provider.id, status: last?.status ?? null, attempts: http.retries + 1 },
  );
}

/** The error of a final (non-retried) refusal: a refused key says which variable to set. */
function refusalError(provider: ProviderInfo, status: number, body: unknown): FeatherError {
  const said = providerMessage(body) ?? (typeof body === 'string' ? body.slice(0, 200) : '');
  const detail = `${status}${said === '' ? '' : `: ${said}`}`;
  if (provider.isBadKey(status, body)) {
    return new FeatherError(
      'FEATHER_ERR_EMBEDDER',
      `${provider.name} refused the API key (${detail}); set ${provider.keyEnv} (or options.apiKey) to a valid key`,
      { provider: provider.id, status, reason: 'bad-key' },
    );
  }
  return new FeatherError('FEATHER_ERR_EMBEDDER', `${provider.name} rejected the request (${detail})`, { provider: provider.id, status });
}

/** The `error.message` most providers put in an error body, if any. */
function providerMessage(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string')
    return (error as { message: string }).message;
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function causeOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
