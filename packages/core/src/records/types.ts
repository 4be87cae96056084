// The memory model's data types, shared by the facade (its read mirror), the writer (the authority) and,
// later, the file format. Plain data only: everything here survives structured clone and msgpack.

/** A memory's id: a string, or a non-negative safe integer. It round-trips with the type it was given. */
export type MemoryId = string | number;

export type AttributeValue = string | number | boolean;

/** Filterable key/value pairs of a memory. */
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** A stored memory, as `get` returns it. */
export interface MemoryRecord {
  readonly id: MemoryId;
  readonly text: string;
  readonly namespace: string;
  /** Topic group inside the namespace, or null. */
  readonly entity: string | null;
  readonly importance: number;
  readonly attributes: Attributes;
  /** Creation time, ms since the epoch. */
  readonly timestamp: number;
  /** How many times a search returned it (with `track` on). */
  readonly recallCount: number;
  /** When a search last returned it (ms since the epoch), or null. */
  readonly lastRecalled: number | null;
  /** Modalities holding a vector for it (a frozen array, shared by the records with the same set). */
  readonly modalities: readonly string[];
}

/** A typed, weighted, directed edge of the context graph. */
export interface Edge {
  readonly from: MemoryId;
  readonly to: MemoryId;
  readonly type: string;
  readonly weight: number;
}

/** One memory of an upsert, ids resolved. Omitted fields keep their stored value (or the default when new). */
export interface UpsertItem {
  id: MemoryId;
  /**
   * The row a new memory takes: a forgotten row the facade chose to reuse (docs/adr/0008), carried in the op
   * (and so in the WAL) so that the mirror, the writer and a replay put it in the same place. Absent: a new
   * row at the end. Ignored when the id exists already.
   */
  row?: number;
  /** The modality whose vector this item carries; undefined when the item only changes metadata. */
  modality?: string;
  text?: string;
  namespace?: string;
  entity?: string | null;
  importance?: number;
  attributes?: Attributes;
  timestamp?: number;
  /** Recall state carried over from another store (an import of an export); absent: new rows start at 0. */
  recallCount?: number;
  /** With recallCount: when it was last recalled (ms), or null. */
  lastRecalled?: number | null;
}

/**
 * The memories of one addBatch slice without metas: an id each, all of one modality and namespace, no other
 * field. Applied as an UpsertItem `{ id, modality, namespace, row }` per id, without building one: a bulk
 * load's items were most of the garbage on both threads, and a map per row in the WAL.
 */
export interface UpsertRows {
  ids: MemoryId[];
  modality: string;
  /** Absent: the default namespace. */
  namespace?: string;
  /** Forgotten rows the facade chose to reuse (UpsertItem.row), by position; -1: a new row at the end. Absent: none. */
  rows?: number[];
}

/** An upsert's memories: items, or a batch slice's rows (UpsertRows). */
export type UpsertItems = UpsertItem[] | UpsertRows;

/** Fields `update` may change. */
export interface RecordPatch {
  text?: string;
  entity?: string | null;
  importance?: number;
  attributes?: Attributes;
}

/**
 * A validated, resolved write. The facade applies it to its mirror and sends it to the writer, which applies
 * it to the authoritative model; both run the same deterministic code in the same order, so they agree on
 * every row, dictionary id and auto-assigned id.
 */
export type ModelOp =
  | { type: 'upsert'; items: UpsertItems; now: number }
  | { type: 'update'; id: MemoryId; patch: RecordPatch }
  | { type: 'forget'; ids: MemoryId[] }
  | { type: 'link'; from: MemoryId; to: MemoryId; edgeType: string; weight: number }
  /** Removes the edges from `from` to `to` of `edgeType`, or of every type when null. */
  | { type: 'unlink'; from: MemoryId; to: MemoryId; edgeType: string | null }
  /** Recall tracking, by row: the facade applies it at once (so a read after the search sees it) and the
   * writer in write order. Only a WAL written before the batched `recall` op holds it (no store reused rows
   * then), so it names the record it counted. */
  | { type: 'touch'; rows: number[]; at: number }
  /**
   * Recall state as it was when logged (absolute values; rows forgotten since are skipped): the batched flush of
   * recall counts (feather-db's recall log writes one about once a second, and at close). Only a model that
   * owns its recall columns applies it (see recall-columns.ts). A reused row's values are those of its new
   * record: the upsert that places it resets them (docs/adr/0008).
   */
  | { type: 'recall'; rows: number[]; counts: number[]; lasts: (number | null)[] };
