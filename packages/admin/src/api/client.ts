// The page's only way to the store: feather-serve's public REST API, each call carrying the key in the
// Authorization header (never in a URL).
import { ApiError } from './api-error.js';
import type {
  ChainRequest,
  ContextChain,
  Edge,
  Health,
  ListRequest,
  Memory,
  MemoryId,
  MemoryPage,
  MemoryPatch,
  NamespaceInfo,
  SearchHit,
  SearchRequest,
  Stats,
} from './types.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

const seg = (value: string | number): string => encodeURIComponent(String(value));

export class ApiClient {
  /** The key sent as `Authorization: Bearer …`; undefined against a --dev server (no auth). */
  readonly key: string | undefined;
  readonly #base: URL;
  readonly #onUnauthorized: () => void;

  /**
   * @param base the server's root (the page lives at `<base>admin/`).
   * @param onUnauthorized called when the server refuses the key (it was changed, say) before the call rejects.
   */
  constructor(key: string | undefined, base: URL, onUnauthorized: () => void = () => undefined) {
    this.key = key;
    this.#base = base;
    this.#onUnauthorized = onUnauthorized;
  }

  /** The root of the server that serves this page: one folder above /admin/, whatever prefix a proxy adds. */
  static baseOf(pageUrl: string): URL {
    return new URL('../', new URL('.', pageUrl));
  }

  async #send(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.key !== undefined) headers['authorization'] = `Bearer ${this.key}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(new URL(path, this.#base), {
        method,
        headers,
        // Never cached and never sent to another origin: the answers hold the store's data.
        cache: 'no-store',
        credentials: 'omit',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      if (signal?.aborted === true) throw error;
      throw new ApiError(
        0,
        'FEATHER_ADMIN_NETWORK',
        `cannot reach feather-serve at ${this.#base.origin}: ${(error as Error).message}; is it running?`,
      );
    }
    if (!response.ok) {
      const error = await errorOf(response);
      if (error.unauthorized) this.#onUnauthorized();
      throw error;
    }
    return response;
  }

  async #json<T>(method: Method, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.#send(method, path, body, signal);
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(
        response.status,
        'FEATHER_ADMIN_BAD_RESPONSE',
        `${method} /${path} answered ${response.status} with a body that is not JSON`,
      );
    }
  }

  health(signal?: AbortSignal): Promise<Health> {
    return this.#json('GET', 'health', undefined, signal);
  }

  stats(signal?: AbortSignal): Promise<Stats> {
    return this.#json('GET', 'api/v1/stats', undefined, signal);
  }

  /** Prometheus text. */
  async metrics(signal?: AbortSignal): Promise<string> {
    return (await this.#send('GET', 'metrics', undefined, signal)).text();
  }

  async namespaces(signal?: AbortSignal): Promise<NamespaceInfo[]> {
    return (await this.#json<{ namespaces: NamespaceInfo[] }>('GET', 'api/v1/namespaces', undefined, signal)).namespaces;
  }

  list(ns: string, request: ListRequest, signal?: AbortSignal): Promise<MemoryPage> {
    const query = new URLSearchParams();
    if (request.entity !== undefined) query.set('entity', request.entity);
    if (request.filter !== undefined) query.set('filter', JSON.stringify(request.filter));
    if (request.before !== undefined) query.set('before', request.before);
    if (request.limit !== undefined) query.set('limit', String(request.limit));
    const qs = query.toString();
    return this.#json('GET', `api/v1/namespaces/${seg(ns)}/memories${qs === '' ? '' : `?${qs}`}`, undefined, signal);
  }

  memory(ns: string, id: MemoryId, signal?: AbortSignal): Promise<Memory> {
    return this.#json('GET', `api/v1/namespaces/${seg(ns)}/memories/${seg(id)}`, undefined, signal);
  }

  memoryWithVector(ns: string, id: MemoryId, signal?: AbortSignal): Promise<Memory & { vector: number[] }> {
    return this.#json('GET', `api/v1/namespaces/${seg(ns)}/memories/${seg(id)}?includeVector=true`, undefined, signal);
  }

  update(ns: string, id: MemoryId, patch: MemoryPatch): Promise<Memory> {
    return this.#json('PATCH', `api/v1/namespaces/${seg(ns)}/memories/${seg(id)}`, patch);
  }

  async forget(ns: string, id: MemoryId): Promise<number> {
    return (await this.#json<{ forgotten: number }>('DELETE', `api/v1/namespaces/${seg(ns)}/memories/${seg(id)}`)).forgotten;
  }

  links(ns: string, id: MemoryId, signal?: AbortSignal): Promise<{ outgoing: Edge[]; incoming: Edge[] }> {
    return this.#json('GET', `api/v1/namespaces/${seg(ns)}/memories/${seg(id)}/links`, undefined, signal);
  }

  async link(ns: string, from: MemoryId, to: MemoryId, options: { type?: string; weight?: number }): Promise<void> {
    await this.#json('POST', `api/v1/namespaces/${seg(ns)}/memories/${seg(from)}/links`, { to, ...options });
  }

  async unlink(ns: string, from: MemoryId, to: MemoryId, type: string): Promise<number> {
    const path = `api/v1/namespaces/${seg(ns)}/memories/${seg(from)}/links/${seg(to)}?type=${encodeURIComponent(type)}`;
    return (await this.#json<{ removed: number }>('DELETE', path)).removed;
  }

  async search(ns: string, request: SearchRequest, signal?: AbortSignal): Promise<SearchHit[]> {
    return (await this.#json<{ hits: SearchHit[] }>('POST', `api/v1/namespaces/${seg(ns)}/search`, request, signal)).hits;
  }

  contextChain(ns: string, request: ChainRequest, signal?: AbortSignal): Promise<ContextChain> {
    return this.#json('POST', `api/v1/namespaces/${seg(ns)}/context-chain`, request, signal);
  }

  async purge(ns: string, olderThanDays?: number): Promise<number> {
    return (
      await this.#json<{ forgotten: number }>(
        'POST',
        `api/v1/namespaces/${seg(ns)}/purge`,
        olderThanDays === undefined ? {} : { olderThanDays },
      )
    ).forgotten;
  }

  save(): Promise<{ bytes: number; ms: number }> {
    return this.#json('POST', 'api/v1/save');
  }

  async compact(): Promise<void> {
    await this.#json('POST', 'api/v1/compact');
  }
}

/** The server's `{ code, message, details }`, or what can be said about an answer without one. */
async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof body.code === 'string' && typeof body.message === 'string') {
      return new ApiError(
        response.status,
        body.code,
        body.message,
        typeof body.details === 'object' && body.details !== null ? (body.details as Record<string, unknown>) : undefined,
      );
    }
  } catch {
    // not JSON: a proxy's error page, say
  }
  return new ApiError(
    response.status,
    'FEATHER_ADMIN_BAD_RESPONSE',
    `the server answered ${response.status} ${response.statusText}${text === '' ? '' : `: ${text.slice(0, 200)}`}`,
  );
}
