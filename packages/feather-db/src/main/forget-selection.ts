// Which memories purge() and deleteByEntity() forget, read from the mirror when the write reaches its turn.
import { FeatherError, kMsPerDay, type MemoryId, type MemoryModel } from '@feather-db/core';
import type { PurgeOptions } from '../api.js';
import { checkName, checkNamespace, checkOptions, checkPositiveNumber, checkTime, kAllNamespaces } from './input.js';

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
 * `days` days before `now` (days undefined: all of them).
 */
export function staleIds(model: MemoryModel, namespace: string | undefined, days: number | undefined, now: number): MemoryId[] {
  const cutoff = days === undefined ? Number.POSITIVE_INFINITY : now - days * kMsPerDay;
  const ids: MemoryId[] = [];
  for (const row of model.liveRows()) {
    const r = model.record(row)!;
    if (namespace !== undefined && r.namespace !== namespace) continue;
    if (r.timestamp < cutoff && (r.lastRecalled === null || r.lastRecalled < cutoff)) ids.push(r.id);
  }
  return ids;
}

/** Ids of the memories of one entity in one namespace. */
export function entityIds(model: MemoryModel, namespace: string, entity: string): MemoryId[] {
  const ns = model.namespaceId(namespace);
  const ent = model.entityId(entity);
  if (ns === undefined || ent === undefined) return [];
  return [...model.scopeRows(ns, ent)].map((row) => model.record(row)!.id);
}
