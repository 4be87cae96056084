// Which memories purge() and deleteByEntity() forget, read from the mirror when the write reaches its turn.
import { FeatherError, kMsPerDay, type MemoryId, type MemoryModel } from '@feather-db/core';
import type { PurgeOptions } from '../api.js';
import { checkName, checkNamespace, checkOptions, checkPositiveNumber, checkTime, kAllNamespaces } from './input.js';
import { yieldToLoop } from './turns.js';

/** Rows purge's selection reads per event-loop turn (a few column reads each). */
const kScanRows = 32_768;

/**
 * purge()'s options: the namespace (undefined for '*', every namespace), the age in days (undefined: all)
 * and the clock (undefined: read when the purge runs).
 */
export function checkPurge(options: unknown): { namespace: string | undefined; days: number | undefined; now: number | undefined } {
  const o = checkOptions<Partial<PurgeOptions>>(
    options,
    ['namespace', 'olderThanDays', 'now'],
    'options',
    "{ namespace: 'user-1', olderThanDays: 30 }",
  );
  if (o.namespace === undefined) {
    throw new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', "options.namespace is required: name one, or pass '*' to purge every namespace");
  }
  return {
    namespace: o.namespace === kAllNamespaces ? undefined : checkNamespace(o.namespace, 'options.namespace'),
    days: o.olderThanDays === undefined ? undefined : checkPositiveNumber(o.olderThanDays, 'options.olderThanDays'),
    now: o.now === undefined ? undefined : checkTime(o.now, 'options.now'),
  };
}

/** deleteByEntity()'s options: both required. */
export function checkEntityScope(options: unknown): { namespace: string; entity: string } {
  const o = checkOptions<{ namespace?: string; entity?: string }>(
    options,
    ['namespace', 'entity'],
    'options',
    "{ namespace: 'user-1', entity: 'travel' }",
  );
  return { namespace: checkNamespace(o.namespace, 'options.namespace'), entity: checkName(o.entity, 'options.entity', 'entity') };
}

/**
 * Ids of the memories of `namespace` (undefined: every namespace) neither created nor recalled within the
 * `days` days before `now` (days undefined: all of them), read from the columns kScanRows rows per event-loop
 * turn (it built every live row's record in one turn, decoding texts and attributes it did not need).
 */
export async function staleIds(
  model: MemoryModel,
  namespace: string | undefined,
  days: number | undefined,
  now: number,
): Promise<MemoryId[]> {
  const cutoff = days === undefined ? Number.POSITIVE_INFINITY : now - days * kMsPerDay;
  const ns = namespace === undefined ? undefined : model.namespaceId(namespace);
  const ids: MemoryId[] = [];
  if (namespace !== undefined && ns === undefined) return ids;
  for (let from = 0; from < model.rowLimit; from += kScanRows) {
    if (from > 0) await yieldToLoop();
    model.staleIds(ns, cutoff, from, from + kScanRows, ids);
  }
  return ids;
}

/** Ids of the memories of one entity in one namespace. */
export function entityIds(model: MemoryModel, namespace: string, entity: string): MemoryId[] {
  const ns = model.namespaceId(namespace);
  const ent = model.entityId(entity);
  if (ns === undefined || ent === undefined) return [];
  return Array.from(model.scopeRows(ns, ent), (row) => model.idOfRow(row)!);
}
