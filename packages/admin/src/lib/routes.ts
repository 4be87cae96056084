// The page's views as hash routes (#/records?ns=home): no server-side routing, bookmarkable, and the key is
// never part of one.
import type { MemoryId } from '../api/types.js';

export type Route =
  | { view: 'overview' }
  | { view: 'namespaces' }
  | { view: 'records'; ns?: string; entity?: string; filter?: string }
  | { view: 'search'; ns?: string }
  | { view: 'record'; ns: string; id: MemoryId }
  | { view: 'graph'; ns?: string; id?: MemoryId; q?: string; k?: number; hops?: number }
  | { view: 'maintenance' }
  | { view: 'not-found'; hash: string };

/** As feather-serve reads a path id: digits only (a safe integer) is the integer id, anything else the string. */
export function idFromPath(value: string): MemoryId {
  if (/^(0|[1-9]\d{0,15})$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  return value;
}

function optional(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : value;
}

/** A whole number in [min, max] from the query, or undefined (absent or out of range: the view's default). */
function count(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const value = optional(params, name);
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}

function decode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

export function parseRoute(hash: string): Route {
  const body = hash.replace(/^#/, '');
  const [path = '', query = ''] = body.split('?', 2) as [string?, string?];
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter((p) => p !== '');
  const ns = optional(params, 'ns');
  const withNs = ns === undefined ? {} : { ns };
  const head = parts[0];
  if (parts.length === 0) return { view: 'overview' };
  if (parts.length === 1) {
    switch (head ?? '') {
      case 'namespaces':
        return { view: 'namespaces' };
      case 'maintenance':
        return { view: 'maintenance' };
      case 'search':
        return { view: 'search', ...withNs };
      case 'records': {
        const entity = optional(params, 'entity');
        const filter = optional(params, 'filter');
        return { view: 'records', ...withNs, ...(entity === undefined ? {} : { entity }), ...(filter === undefined ? {} : { filter }) };
      }
      case 'graph': {
        const id = optional(params, 'id');
        const q = optional(params, 'q');
        const k = count(params, 'k', 1, 100);
        const hops = count(params, 'hops', 0, 16);
        return {
          view: 'graph',
          ...withNs,
          ...(id === undefined ? {} : { id: idFromPath(id) }),
          ...(q === undefined ? {} : { q }),
          ...(k === undefined ? {} : { k }),
          ...(hops === undefined ? {} : { hops }),
        };
      }
      default:
        break;
    }
  }
  if (head === 'records' && parts.length === 3) {
    const [recordNs, id] = [decode(parts[1]!), decode(parts[2]!)];
    if (recordNs !== undefined && id !== undefined && recordNs !== '' && id !== '')
      return { view: 'record', ns: recordNs, id: idFromPath(id) };
  }
  return { view: 'not-found', hash };
}

function withQuery(path: string, entries: [string, string | number | undefined][]): string {
  const params = new URLSearchParams();
  for (const [key, value] of entries) if (value !== undefined && value !== '') params.set(key, String(value));
  const qs = params.toString();
  return `#${path}${qs === '' ? '' : `?${qs}`}`;
}

export function formatRoute(route: Route): string {
  switch (route.view) {
    case 'overview':
      return '#/';
    case 'namespaces':
      return '#/namespaces';
    case 'maintenance':
      return '#/maintenance';
    case 'search':
      return withQuery('/search', [['ns', route.ns]]);
    case 'records':
      return withQuery('/records', [
        ['ns', route.ns],
        ['entity', route.entity],
        ['filter', route.filter],
      ]);
    case 'record':
      return `#/records/${encodeURIComponent(route.ns)}/${encodeURIComponent(String(route.id))}`;
    case 'graph':
      return withQuery('/graph', [
        ['ns', route.ns],
        ['id', route.id],
        ['q', route.q],
        ['k', route.k],
        ['hops', route.hops],
      ]);
    case 'not-found':
      return route.hash;
  }
}
