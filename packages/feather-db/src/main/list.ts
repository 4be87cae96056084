// db.list: a scope's memories newest first, paged by a cursor. Reads the facade's mirror only.
import { checkInt, describeValue, FeatherError, type Attributes, type MemoryModel, type MemoryRecord } from '@feather-db/core';
import { checkAttributes, checkName, checkNamespace, checkOptions, checkTime } from './input.js';

/** Options of {@link Feather.list}. */
export interface ListOptions {
  /** Only this namespace. Default: every namespace. */
  namespace?: string;
  /** Only this entity (within `namespace` when given). */
  entity?: string;
  /** Only memories whose attributes hold every one of these pairs (exact match). */
  filter?: Attributes;
  /**
   * Where the page starts: the `next` cursor of the previous page, or a time (ms or Date): only memories
   * whose timestamp is strictly before it. Default: the newest.
   */
  before?: string | number | Date;
  /** Memories per page, 1..10,000. Default 100. */
  limit?: number;
}

/** One page of {@link Feather.list}. */
export interface ListPage {
  /** Newest first: by timestamp, then by insertion (later first) among equal timestamps. */
  memories: MemoryRecord[];
  /** Pass as `before` for the next page; null on the last page. */
  next: string | null;
}

const kDefaultListLimit = 100;
const kMaxListLimit = 10_000;
const kCursorPrefix = 'c1.';

/** Where a page starts: before (timestamp, row), the row bound used only among equal timestamps. */
interface ListStart {
  timestamp: number;
  row: number;
}

/** Decodes a `next` cursor. @throws FEATHER_ERR_INVALID_ARGUMENT for anything else. */
function parseCursor(value: string, path: string): ListStart {
  const parts = value.startsWith(kCursorPrefix) ? value.slice(kCursorPrefix.length).split('.') : [];
  const timestamp = Number(parts[0]);
  const row = Number(parts[1]);
  if (parts.length !== 2 || !Number.isFinite(timestamp) || !Number.isSafeInteger(row) || row < 0) {
    throw new FeatherError(
      'FEATHER_ERR_INVALID_ARGUMENT',
      `${path} must be the next cursor of a previous list page (like "c1.1700000000000.42") or a time, got ${describeValue(value)}`,
      { path },
    );
  }
  return { timestamp, row };
}

/** The rows of one page, newest first; `limit + 1` are selected to know whether another page follows. */
function listPage(model: MemoryModel, scope: Iterable<number>, filter: Attributes | undefined, start: ListStart, limit: number): ListPage {
  const times: number[] = [];
  const rows: number[] = [];
  for (const row of scope) {
    const t = model.scoringFields(row)?.timestamp;
    if (t === undefined || t > start.timestamp || (t === start.timestamp && row >= start.row)) continue;
    if (filter !== undefined && !model.matches(row, filter)) continue;
    times.push(t);
    rows.push(row);
  }
  const order = rows.map((_, i) => i).sort((a, b) => times[b]! - times[a]! || rows[b]! - rows[a]!);
  const page = order.slice(0, limit).map((i) => rows[i]!);
  const last = page.length > 0 ? page[page.length - 1]! : undefined;
  const next = order.length > limit && last !== undefined ? `${kCursorPrefix}${model.scoringFields(last)!.timestamp}.${last}` : null;
  return { memories: page.map((row) => model.record(row)!), next };
}

/** Validates `db.list` options and reads the page from the model. */
export function listMemories(model: MemoryModel, options: unknown): ListPage {
  const o = checkOptions<ListOptions>(
    options,
    ['namespace', 'entity', 'filter', 'before', 'limit'],
    'options',
    "{ namespace: 'user-1', limit: 50 }",
  );
  const namespace = o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace');
  const entity = o.entity === undefined ? undefined : checkName(o.entity, 'options.entity', 'entity');
  const filter = o.filter === undefined ? undefined : checkAttributes(o.filter, 'options.filter');
  const limit = o.limit ?? kDefaultListLimit;
  checkInt(limit, 'options.limit', 1, kMaxListLimit);
  const start: ListStart =
    o.before === undefined
      ? { timestamp: Number.POSITIVE_INFINITY, row: 0 }
      : typeof o.before === 'string'
        ? parseCursor(o.before, 'options.before')
        : { timestamp: checkTime(o.before, 'options.before'), row: 0 };
  const ns = namespace === undefined ? undefined : model.namespaceId(namespace);
  const ent = entity === undefined ? undefined : model.entityId(entity);
  if ((namespace !== undefined && ns === undefined) || (entity !== undefined && ent === undefined)) return { memories: [], next: null };
  const scope = ns === undefined && ent === undefined ? model.liveRows() : model.scopeRows(ns, ent);
  return listPage(model, scope, filter, start, limit);
}
