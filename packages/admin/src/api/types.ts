// The shapes feather-serve's REST API answers with (see /api/v1/openapi.json). The page reads nothing else.

/** A memory id: a string, or a non-negative integer; it keeps the type it was given (7 and "7" differ). */
export type MemoryId = string | number;
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export interface Memory {
  id: MemoryId;
  text: string;
  namespace: string;
  entity: string | null;
  importance: number;
  attributes: Attributes;
  /** ms since the epoch */
  timestamp: number;
  recallCount: number;
  lastRecalled: number | null;
  modalities: string[];
}

export interface Edge {
  from: MemoryId;
  to: MemoryId;
  type: string;
  weight: number;
}

export interface SearchHit extends Memory {
  score: number;
  similarity: number;
}

export interface ChainNode extends Memory {
  hop: number;
  score: number;
  /** Vector similarity for seeds (hop 0), null for memories reached over edges. */
  similarity: number | null;
}

export interface ContextChain {
  nodes: ChainNode[];
  edges: Edge[];
}

export interface Stats {
  total_vectors: number;
  namespaces: number;
  file_size_mb: number;
  load_time_ms: number;
}

export interface Health {
  status: string;
  version: string;
  vectors: number;
  dim: number;
}

export interface NamespaceInfo {
  name: string;
  count: number;
}

export interface MemoryPage {
  memories: Memory[];
  /** The cursor of the next (older) page, or null on the last one. */
  next: string | null;
}

export interface SearchRequest {
  query: string;
  k?: number;
  entity?: string;
  filter?: Attributes;
  halfLife?: number;
  timeWeight?: number;
  track?: boolean;
}

export interface ChainRequest {
  query?: string;
  vector?: number[];
  k?: number;
  hops?: number;
  track?: boolean;
}

export interface ListRequest {
  entity?: string;
  filter?: Attributes;
  before?: string;
  limit?: number;
}

export interface MemoryPatch {
  text?: string;
  entity?: string | null;
  importance?: number;
  attributes?: Attributes;
}
