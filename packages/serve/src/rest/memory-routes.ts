import { FeatherError, type MemoryId } from 'feather-db';
import * as S from '../schemas.js';
import type { FeatherService } from '../service.js';
import { pathId, type RouteDef } from './route-def.js';

const kNs = '/api/v1/namespaces/{ns}';
const ns = (p: Record<string, string>): string => p['ns']!;
const id = (p: Record<string, string>, key = 'id'): MemoryId => pathId(p[key]!);

/** A string id made only of digits cannot be addressed in a URL (it reads as the integer): refuse it here. */
function checkRestIds(memories: S.MemoryInputT[]): S.MemoryInputT[] {
  memories.forEach((m, i) => {
    if (typeof m.id === 'string' && typeof pathId(m.id) === 'number') {
      throw new FeatherError(
        'FEATHER_ERR_INVALID_ARGUMENT',
        `memories[${i}].id ${JSON.stringify(m.id)} is a string of digits, which a URL cannot tell from the integer ${m.id}: send the integer, or a string id with a non-digit`,
        { path: `memories[${i}].id` },
      );
    }
  });
  return memories;
}

function parseFilter(raw: unknown): Record<string, string | number | boolean> | undefined {
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw as string) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, string | number | boolean>;
  } catch {
    // falls through to the error below
  }
  throw new FeatherError(
    'FEATHER_ERR_INVALID_ARGUMENT',
    `query filter must be a JSON object like {"source":"chat"}, got ${JSON.stringify(raw)}`,
    { path: 'querystring/filter' },
  );
}

export function memoryRoutes(service: FeatherService): RouteDef[] {
  const base = { tag: 'memories', auth: true } as const;
  return [
    {
      ...base,
      method: 'POST',
      path: `${kNs}/memories`,
      operationId: 'addMemory',
      summary: 'Add a memory (text is embedded server-side, or send a vector); an id already in this namespace is updated',
      params: S.NsParams,
      body: S.MemoryInput,
      status: 201,
      response: S.AddResult,
      handler: ({ params, body }) => service.add(ns(params), checkRestIds([body as S.MemoryInputT])[0]!),
    },
    {
      ...base,
      method: 'POST',
      path: `${kNs}/memories:batch`,
      operationId: 'addMemories',
      summary: 'Add many memories in one write (texts embedded in one call); ids in input order',
      params: S.NsParams,
      body: S.BatchInput,
      status: 201,
      response: S.BatchResult,
      handler: ({ params, body }) => service.addBatch(ns(params), checkRestIds((body as { memories: S.MemoryInputT[] }).memories)),
    },
    {
      ...base,
      method: 'GET',
      path: `${kNs}/memories`,
      operationId: 'listMemories',
      summary: "The namespace's memories newest first, a page at a time (pass next as before)",
      params: S.NsParams,
      query: S.ListQuery,
      status: 200,
      response: S.ListResult,
      handler: ({ params, query }) => {
        const { filter, ...rest } = query as S.ListQueryT;
        const parsed = parseFilter(filter);
        return service.list(ns(params), { ...rest, ...(parsed === undefined ? {} : { filter: parsed }) });
      },
    },
    {
      ...base,
      method: 'GET',
      path: `${kNs}/memories/{id}`,
      operationId: 'getMemory',
      summary: 'One memory of this namespace (with its vector when includeVector=true)',
      params: S.IdParams,
      query: S.GetQuery,
      status: 200,
      response: S.MemoryWithVector,
      handler: ({ params, query }) =>
        (query as S.GetQueryT).includeVector === true ? service.getWithVector(ns(params), id(params)) : service.get(ns(params), id(params)),
    },
    {
      ...base,
      method: 'PATCH',
      path: `${kNs}/memories/{id}`,
      operationId: 'updateMemory',
      summary: "Change a memory's text, entity, importance or attributes",
      params: S.IdParams,
      body: S.Patch,
      status: 200,
      response: S.Memory,
      handler: ({ params, body }) => service.update(ns(params), id(params), body as S.PatchT),
    },
    {
      ...base,
      method: 'DELETE',
      path: `${kNs}/memories/{id}`,
      operationId: 'forgetMemory',
      summary: 'Forget a memory and its edges',
      params: S.IdParams,
      status: 200,
      response: S.Forgotten,
      handler: ({ params }) => service.forget(ns(params), id(params)),
    },
    {
      ...base,
      tag: 'graph',
      method: 'GET',
      path: `${kNs}/memories/{id}/links`,
      operationId: 'getLinks',
      summary: "A memory's outgoing and incoming edges (to memories of this namespace)",
      params: S.IdParams,
      status: 200,
      response: S.Related,
      handler: ({ params }) => service.related(ns(params), id(params)),
    },
    {
      ...base,
      tag: 'graph',
      method: 'POST',
      path: `${kNs}/memories/{id}/links`,
      operationId: 'link',
      summary: 'Add a typed, weighted edge from this memory to another of the namespace (re-weights an existing one)',
      params: S.IdParams,
      body: S.LinkInput,
      status: 201,
      response: S.Ok,
      handler: ({ params, body }) => {
        const { to, ...options } = body as { to: MemoryId; type?: string; weight?: number };
        return service.link(ns(params), id(params), to, options);
      },
    },
    {
      ...base,
      tag: 'graph',
      method: 'DELETE',
      path: `${kNs}/memories/{id}/links/{to}`,
      operationId: 'unlink',
      summary: 'Remove the edges from this memory to another: of ?type= only, or of every type',
      params: S.LinkParams,
      query: S.UnlinkQuery,
      status: 200,
      response: S.Removed,
      handler: ({ params, query }) => service.unlink(ns(params), id(params), id(params, 'to'), query),
    },
  ];
}
