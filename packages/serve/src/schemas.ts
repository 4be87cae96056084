// Every request and response shape of the service, declared once: Fastify validates with them, the OpenAPI
// document is built from them, and the MCP tools' input schemas reuse them.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

export const Id = Type.Union(
  [Type.String({ minLength: 1, maxLength: 512 }), Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })],
  {
    description: 'A memory id: a string, or a non-negative integer (it keeps the type it was given: 7 and "7" differ).',
  },
);
export const Name = Type.String({ minLength: 1, maxLength: 256 });
export const Namespace = Type.String({
  minLength: 1,
  maxLength: 256,
  description: 'The tenant: ids of other namespaces are never reachable from here.',
});
const AttributeValue = Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean()]);
const Attributes = Type.Record(Type.String({ minLength: 1, maxLength: 256 }), AttributeValue, {
  description: 'Key/value pairs (string, number or boolean values), at most 64.',
  maxProperties: 64,
});
const Vector = Type.Array(Type.Number(), {
  minItems: 1,
  maxItems: 65_536,
  description: "A vector of the store's dim (sent instead of text).",
});
export const Text = Type.String({ minLength: 1, maxLength: 100_000 });
export const Time = Type.Number({ description: 'ms since the epoch' });

const kMemoryFields = {
  text: Type.Optional(Type.String({ maxLength: 100_000, description: "The memory's text; embedded server-side when no vector is given." })),
  entity: Type.Optional(Type.Union([Name, Type.Null()], { description: 'Topic group inside the namespace (null: none).' })),
  importance: Type.Optional(Type.Number({ minimum: 0, description: 'Score multiplier, 1 is neutral.' })),
  attributes: Type.Optional(Attributes),
  timestamp: Type.Optional(Time),
};

export const MemoryInput = Type.Object(
  { id: Type.Optional(Id), vector: Type.Optional(Vector), ...kMemoryFields },
  {
    additionalProperties: false,
    description: 'A memory to add: text (embedded) or vector, and its metadata. An existing id of this namespace is updated.',
  },
);
export const BatchInput = Type.Object(
  { memories: Type.Array(MemoryInput, { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false },
);
export const Patch = Type.Object(
  { text: kMemoryFields.text, entity: kMemoryFields.entity, importance: kMemoryFields.importance, attributes: kMemoryFields.attributes },
  { additionalProperties: false, minProperties: 1, description: 'Fields to change (attributes are replaced whole).' },
);

export const Memory = Type.Object({
  id: Id,
  text: Type.String(),
  namespace: Type.String(),
  entity: Type.Union([Type.String(), Type.Null()]),
  importance: Type.Number(),
  attributes: Attributes,
  timestamp: Type.Number(),
  recallCount: Type.Number(),
  lastRecalled: Type.Union([Type.Number(), Type.Null()]),
  modalities: Type.Array(Type.String()),
});
export const GetQuery = Type.Object(
  {
    includeVector: Type.Optional(
      Type.Boolean({ description: "Also return the memory's stored vector (e.g. to search or chain around it)." }),
    ),
  },
  { additionalProperties: false },
);
export const CompactQuery = Type.Object(
  {
    rebuild: Type.Optional(
      Type.Boolean({
        description:
          'Rebuild every graph from its live memories (the file then saves tight) instead of repairing tombstones in place where that is cheaper.',
      }),
    ),
  },
  { additionalProperties: false },
);
export const MemoryWithVector = Type.Object({ ...Memory.properties, vector: Type.Optional(Type.Array(Type.Number())) });
const Edge = Type.Object({ from: Id, to: Id, type: Type.String(), weight: Type.Number() });

const kQuery = {
  query: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100_000, description: 'Text to search for (embedded server-side). Give query or vector.' }),
  ),
  vector: Type.Optional(Vector),
};
export const SearchInput = Type.Object(
  {
    ...kQuery,
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Results wanted (default 10).' })),
    ef: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Candidate list size: higher is slower and more exact.' })),
    entity: Type.Optional(Name),
    filter: Type.Optional(Attributes),
    halfLife: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'Days for recency to halve; turns on time-decayed scoring.' })),
    timeWeight: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of recency in the decayed score (default 0.3).' })),
    now: Type.Optional(Time),
    track: Type.Optional(Type.Boolean({ description: 'Count returned hits as recalled (default true).' })),
    includeVector: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const SearchHit = Type.Object({
  ...Memory.properties,
  score: Type.Number(),
  similarity: Type.Number(),
  vector: Type.Optional(Type.Array(Type.Number())),
});
export const SearchResult = Type.Object({ hits: Type.Array(SearchHit) });

export const ChainInput = Type.Object(
  {
    ...kQuery,
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Seeds from the vector search (default 5).' })),
    hops: Type.Optional(Type.Integer({ minimum: 0, maximum: 16, description: 'Breadth-first hops over edges (default 2).' })),
    ef: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    now: Type.Optional(Time),
    track: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const ChainResult = Type.Object({
  nodes: Type.Array(
    Type.Object({ ...Memory.properties, hop: Type.Integer(), score: Type.Number(), similarity: Type.Union([Type.Number(), Type.Null()]) }),
  ),
  edges: Type.Array(Edge),
});

export const LinkInput = Type.Object(
  { to: Id, type: Type.Optional(Name), weight: Type.Optional(Type.Number({ minimum: 0 })) },
  { additionalProperties: false, description: "A typed, weighted edge from this memory (type default 'related_to', weight 1)." },
);
export const UnlinkQuery = Type.Object({ type: Type.Optional(Name) }, { additionalProperties: false });
export const Related = Type.Object({ outgoing: Type.Array(Edge), incoming: Type.Array(Edge) });
export const Removed = Type.Object({ removed: Type.Integer() });
export const Forgotten = Type.Object({ forgotten: Type.Integer() });

export const ListQuery = Type.Object(
  {
    entity: Type.Optional(Name),
    before: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'The next cursor of the previous page, or a time in ms.' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Memories per page (default 100).' })),
    filter: Type.Optional(Type.String({ maxLength: 65_536, description: 'Attribute filter as JSON, e.g. {"source":"chat"}.' })),
  },
  { additionalProperties: false },
);
export const ListResult = Type.Object({ memories: Type.Array(Memory), next: Type.Union([Type.String(), Type.Null()]) });

export const PurgeInput = Type.Object(
  {
    olderThanDays: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'Forget only memories neither created nor recalled within this many days; absent: all of the namespace.',
      }),
    ),
    now: Type.Optional(Time),
  },
  { additionalProperties: false },
);

export const NamespaceInfo = Type.Object({ name: Type.String(), count: Type.Integer() });
export const NamespaceList = Type.Object({ namespaces: Type.Array(NamespaceInfo) });
export const Saved = Type.Object({ bytes: Type.Integer(), ms: Type.Number() });
export const Ok = Type.Object({ ok: Type.Boolean() });
export const Stats = Type.Object({
  total_vectors: Type.Integer(),
  namespaces: Type.Integer(),
  file_size_mb: Type.Number(),
  load_time_ms: Type.Number(),
});
export const Health = Type.Object({ status: Type.String(), version: Type.String(), vectors: Type.Integer(), dim: Type.Integer() });
export const ErrorBody = Type.Object(
  { code: Type.String(), message: Type.String(), details: Type.Optional(Type.Record(Type.String(), Type.Unknown())) },
  { description: 'Every error: a FeatherError code, a message saying what to fix, details.' },
);
export const AddResult = Type.Object({ id: Id });
export const BatchResult = Type.Object({ ids: Type.Array(Id) });

export const NsParams = Type.Object({ ns: Namespace });
export const IdParams = Type.Object({
  ns: Namespace,
  id: Type.String({ minLength: 1, maxLength: 512, description: 'The id; digits-only means the integer id.' }),
});
export const LinkParams = Type.Object({
  ns: Namespace,
  id: Type.String({ minLength: 1, maxLength: 512 }),
  to: Type.String({ minLength: 1, maxLength: 512 }),
});
export const EntityParams = Type.Object({ ns: Namespace, entity: Name });

export type MemoryInputT = Static<typeof MemoryInput>;
export type SearchInputT = Static<typeof SearchInput>;
export type ChainInputT = Static<typeof ChainInput>;
export type PatchT = Static<typeof Patch>;
export type GetQueryT = Static<typeof GetQuery>;
export type CompactQueryT = Static<typeof CompactQuery>;
export type ListQueryT = Static<typeof ListQuery>;
export type PurgeInputT = Static<typeof PurgeInput>;
export type { TSchema };
