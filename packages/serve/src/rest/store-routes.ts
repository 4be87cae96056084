import * as S from '../schemas.js';
import type { FeatherService } from '../service.js';
import type { RouteDef } from './route-def.js';

const kNs = '/api/v1/namespaces/{ns}';
const ns = (p: Record<string, string>): string => p['ns']!;

export function searchRoutes(service: FeatherService): RouteDef[] {
  const base = { tag: 'search', auth: true, status: 200 } as const;
  return [
    {
      ...base,
      method: 'POST',
      path: `${kNs}/search`,
      operationId: 'search',
      summary: "The namespace's nearest memories to a text (embedded) or a vector, best first; scoped, filtered and time-decayed as asked",
      params: S.NsParams,
      body: S.SearchInput,
      response: S.SearchResult,
      handler: ({ params, body }) => service.search(ns(params), body as S.SearchInputT),
    },
    {
      ...base,
      method: 'POST',
      path: `${kNs}/context-chain`,
      operationId: 'contextChain',
      summary: 'Search seeds expanded over the context graph (within the namespace), each memory scored by hop',
      params: S.NsParams,
      body: S.ChainInput,
      response: S.ChainResult,
      handler: ({ params, body }) => service.contextChain(ns(params), body as S.ChainInputT),
    },
  ];
}

export function storeRoutes(service: FeatherService, version: string): RouteDef[] {
  const base = { tag: 'store', auth: true, status: 200 } as const;
  return [
    {
      ...base,
      method: 'GET',
      path: '/api/v1/namespaces',
      operationId: 'listNamespaces',
      summary: 'Namespaces holding memories, with their counts',
      response: S.NamespaceList,
      handler: () => service.namespaces(),
    },
    {
      ...base,
      method: 'GET',
      path: kNs,
      operationId: 'countNamespace',
      summary: 'How many memories a namespace holds',
      params: S.NsParams,
      response: S.NamespaceInfo,
      handler: ({ params }) => service.namespace(ns(params)),
    },
    {
      ...base,
      method: 'POST',
      path: `${kNs}/purge`,
      operationId: 'purge',
      summary: 'Forget memories of the namespace neither created nor recalled within olderThanDays (all without it)',
      params: S.NsParams,
      body: S.PurgeInput,
      response: S.Forgotten,
      handler: ({ params, body }) => service.purge(ns(params), body as S.PurgeInputT),
    },
    {
      ...base,
      method: 'DELETE',
      path: `${kNs}/entities/{entity}`,
      operationId: 'deleteEntity',
      summary: 'Forget every memory of one entity of the namespace',
      params: S.EntityParams,
      response: S.Forgotten,
      handler: ({ params }) => service.deleteEntity(ns(params), params['entity']!),
    },
    {
      ...base,
      method: 'POST',
      path: '/api/v1/compact',
      operationId: 'compact',
      summary:
        'Drop every tombstone: repaired in place where fewer than half of a graph are tombstones, else (or with rebuild=true) the graph rebuilt from its live memories; searches keep running',
      query: S.CompactQuery,
      response: S.Ok,
      handler: ({ query }) => service.compact((query as S.CompactQueryT).rebuild === true),
    },
    {
      ...base,
      method: 'POST',
      path: '/api/v1/save',
      operationId: 'save',
      summary: 'Write the store atomically and start an empty WAL',
      response: S.Saved,
      handler: () => service.save(),
    },
    {
      ...base,
      method: 'GET',
      path: '/api/v1/stats',
      operationId: 'stats',
      summary: 'Store totals: memories, namespaces, file size, load time',
      response: S.Stats,
      handler: () => service.stats(),
    },
    {
      ...base,
      auth: false,
      tag: 'health',
      method: 'GET',
      path: '/health',
      operationId: 'health',
      summary: 'Liveness and size, without auth',
      response: S.Health,
      handler: () => ({ status: 'ok', version, vectors: service.db.count(), dim: service.db.dim }),
    },
  ];
}
