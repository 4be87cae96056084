// The MCP tools: each an input schema (built from the REST schemas) and a description an agent can act on,
// run through the same service as REST. Text in, ranked memories out.
import { Type, type TSchema } from '@sinclair/typebox';
import type { MemoryId } from 'feather-db';
import * as S from '../schemas.js';
import type { FeatherService } from '../service.js';

export interface ToolDef {
  name: string;
  description: string;
  input: TSchema;
  run: (service: FeatherService, args: Record<string, unknown>) => unknown;
}

const ns = { namespace: S.Namespace };
const obj = (properties: Record<string, TSchema>): TSchema => Type.Object(properties, { additionalProperties: false });
const { vector: _v1, ...kSearchOptions } = S.SearchInput.properties;
const { vector: _v2, ...kChainOptions } = S.ChainInput.properties;
const a = <T>(args: Record<string, unknown>, key: string): T => args[key] as T;
const without = (args: Record<string, unknown>, ...keys: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(args).filter(([k]) => !keys.includes(k)));

export const kTools: readonly ToolDef[] = [
  {
    name: 'feather_add',
    description:
      'Store a memory (a fact, preference, event or note) in a namespace. The text is embedded by the server. Give an id to update that memory later; optional entity (topic group), importance (1 neutral, higher ranks higher), attributes (exact-match filter keys). Returns the id.',
    input: obj({
      ...ns,
      text: S.Text,
      id: Type.Optional(S.Id),
      entity: S.MemoryInput.properties.entity,
      importance: S.MemoryInput.properties.importance,
      attributes: S.MemoryInput.properties.attributes,
      timestamp: S.MemoryInput.properties.timestamp,
    }),
    run: (s, args) => s.add(a(args, 'namespace'), without(args, 'namespace')),
  },
  {
    name: 'feather_search',
    description:
      'Find the memories of a namespace closest in meaning to a query text, best first, with score and similarity. Narrow with entity or filter (attribute pairs); set halfLife (days) or timeWeight to favour recent and often-recalled memories. Returned memories count as recalled unless track is false.',
    input: obj({ ...ns, ...kSearchOptions, query: S.Text }),
    run: (s, args) => s.search(a(args, 'namespace'), without(args, 'namespace')),
  },
  {
    name: 'feather_context_chain',
    description:
      'Search a namespace for a query text, then follow the links between memories (up to hops) to gather connected context: causes, follow-ups, related facts. Returns the memories with their hop distance and score, and the edges walked.',
    input: obj({ ...ns, ...kChainOptions, query: S.Text }),
    run: (s, args) => s.contextChain(a(args, 'namespace'), without(args, 'namespace')),
  },
  {
    name: 'feather_get',
    description: 'Read one memory of a namespace by id: text, entity, importance, attributes, timestamps, recall count.',
    input: obj({ ...ns, id: S.Id }),
    run: (s, args) => s.get(a(args, 'namespace'), a(args, 'id')),
  },
  {
    name: 'feather_update',
    description:
      "Change a memory's text, entity, importance or attributes (attributes are replaced whole). Returns the updated memory. The vector is not re-embedded: to change what it means, add it again with the same id.",
    input: obj({ ...ns, id: S.Id, ...S.Patch.properties }),
    run: (s, args) => s.update(a(args, 'namespace'), a(args, 'id'), without(args, 'namespace', 'id')),
  },
  {
    name: 'feather_forget',
    description: 'Delete one memory of a namespace, and every link touching it.',
    input: obj({ ...ns, id: S.Id }),
    run: (s, args) => s.forget(a(args, 'namespace'), a(args, 'id')),
  },
  {
    name: 'feather_link',
    description:
      "Connect two memories of a namespace with a typed, weighted, directed edge (type e.g. 'caused_by', 'follows', 'contradicts'; default 'related_to'; weight default 1). Linking the same pair and type again changes the weight.",
    input: obj({ ...ns, from: S.Id, to: S.Id, type: Type.Optional(S.Name), weight: Type.Optional(Type.Number({ minimum: 0 })) }),
    run: (s, args) => s.link(a(args, 'namespace'), a(args, 'from'), a(args, 'to'), without(args, 'namespace', 'from', 'to')),
  },
  {
    name: 'feather_related',
    description: 'The memories linked to one memory (both directions), each with the edge type, weight and direction.',
    input: obj({ ...ns, id: S.Id }),
    run: (s, args) => related(s, a(args, 'namespace'), a(args, 'id')),
  },
  {
    name: 'feather_timeline',
    description:
      "A namespace's (or one entity's) memories newest first, a page at a time: pass the returned next as before for older ones.",
    input: obj({
      ...ns,
      entity: Type.Optional(S.Name),
      before: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), S.Time])),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    }),
    run: (s, args) => s.list(a(args, 'namespace'), without(args, 'namespace')),
  },
  {
    name: 'feather_list_namespaces',
    description: 'Every namespace (tenant, user, agent) holding memories, with how many.',
    input: obj({}),
    run: (s) => s.namespaces(),
  },
  {
    name: 'feather_purge',
    description:
      'Forget the memories of a namespace that were neither created nor recalled within olderThanDays days (every memory of the namespace when olderThanDays is absent). Returns how many were forgotten.',
    input: obj({ ...ns, ...S.PurgeInput.properties }),
    run: (s, args) => s.purge(a(args, 'namespace'), without(args, 'namespace')),
  },
  {
    name: 'feather_compact',
    description:
      'Clean the search indexes after many deletions (searches keep working meanwhile): forgotten memories are unlinked and their space reused, or with rebuild: true every index is rebuilt from the live memories.',
    input: obj({ rebuild: S.CompactQuery.properties.rebuild }),
    run: (s, args) => s.compact(a<boolean | undefined>(args, 'rebuild') === true),
  },
  {
    name: 'feather_stats',
    description: 'Store totals: memories, namespaces, file size in MB, load time.',
    input: obj({}),
    run: (s) => s.stats(),
  },
  {
    name: 'feather_delete_entity',
    description: 'Forget every memory of one entity (topic group) of a namespace. Returns how many were forgotten.',
    input: obj({ ...ns, entity: S.Name }),
    run: (s, args) => s.deleteEntity(a(args, 'namespace'), a(args, 'entity')),
  },
];

/** The linked memories with the edge that links them. */
function related(
  s: FeatherService,
  namespace: string,
  id: MemoryId,
): { memories: { direction: 'outgoing' | 'incoming'; type: string; weight: number; memory: unknown }[] } {
  const { outgoing, incoming } = s.related(namespace, id);
  return {
    memories: [
      ...outgoing.map((e) => ({ direction: 'outgoing' as const, type: e.type, weight: e.weight, memory: s.get(namespace, e.to) })),
      ...incoming.map((e) => ({ direction: 'incoming' as const, type: e.type, weight: e.weight, memory: s.get(namespace, e.from) })),
    ],
  };
}
