// The memory model's parts, shared by its reads (memory-model.ts), its writes (model-writes.ts) and its
// codec (model-codec.ts), and the effects of its writes (what the writer turns into index work).
import { AttributeStore } from './attribute-store.js';
import { kStringId } from './columns-codec.js';
import { ModalitySets, NameDictionary } from './dictionary.js';
import { EdgeStore } from './edge-store.js';
import { IdIndex, idHash } from './id-index.js';
import { RowColumns } from './row-columns.js';
import { RowStrings } from './row-strings.js';
import { Scopes } from './scopes.js';
import type { MemoryId } from './types.js';
import { WriteOrder } from './write-order.js';

/** What an upsert did to one record: the writer turns it into index work. */
export interface UpsertEffect {
  row: number;
  created: boolean;
  namespace: number;
  entity: number;
  /** The record's namespace or entity changed: its existing nodes need new tags. */
  retagged: boolean;
  /** The modality whose vector is replaced or added, if any. */
  modality: string | undefined;
}

/** What a forget removed: the row and the modalities whose nodes must be tombstoned. */
export interface ForgetEffect {
  row: number;
  modalities: readonly string[];
}

/** Everything a memory model is made of. */
export interface ModelParts {
  cols: RowColumns;
  strings: RowStrings;
  namespaces: NameDictionary;
  /** Entity ids start at 1 (0 = no entity). */
  entities: NameDictionary;
  modalities: ModalitySets;
  attributes: AttributeStore;
  edges: EdgeStore;
  scopes: Scopes;
  /** Id -> row. */
  ids: IdIndex;
  /** Live rows. */
  live: number;
  /** The id the next memory added without one gets. */
  nextAuto: number;
  /** Bumped by every write that can change which rows a filter selects (not by recall tracking). */
  version: number;
  /** When each row was last upserted (getLast). */
  writeOrder: WriteOrder;
}

/** The parts of a model over `cols` (empty by default); the rest is given by a loader or starts empty. */
export function modelParts(cols: RowColumns = new RowColumns(), given: Partial<ModelParts> = {}): ModelParts {
  return {
    cols,
    strings: given.strings ?? new RowStrings(),
    namespaces: given.namespaces ?? new NameDictionary(),
    entities: given.entities ?? new NameDictionary(['']),
    modalities: given.modalities ?? new ModalitySets(),
    attributes: given.attributes ?? new AttributeStore(cols),
    edges: given.edges ?? new EdgeStore(),
    scopes: new Scopes(cols),
    ids: given.ids ?? new IdIndex(0, (row) => cols.idHash[row]),
    live: given.live ?? 0,
    nextAuto: given.nextAuto ?? 0,
    version: 0,
    writeOrder: new WriteOrder(),
  };
}

/** The id of (live) row `row`. */
export function idOf(p: ModelParts, row: number): MemoryId {
  return (p.cols.flags[row] & kStringId) === 0 ? p.cols.idNum[row] : p.strings.id(row);
}

/** The live row holding exactly `id` (type included), or -1. */
export function findRow(p: ModelParts, id: MemoryId): number {
  return typeof id === 'number' ? p.ids.find(idHash(id), matchNumber, p.cols, id) : p.ids.find(idHash(id), matchString, p, id);
}

function matchNumber(row: number, c: RowColumns, id: number): boolean {
  return (c.flags[row] & kStringId) === 0 && c.idNum[row] === id;
}

function matchString(row: number, p: ModelParts, id: string): boolean {
  return (p.cols.flags[row] & kStringId) !== 0 && p.strings.id(row) === id;
}
