// What purge() and deleteByEntity() pick (main/forget-selection.ts), at a fixed clock.
import { MemoryModel } from '@feather-db/core';
import { turnsDuring } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { checkEntityScope, checkPurge, entityIds, staleIds } from '../src/main/forget-selection.js';

const day = 86_400_000;
const now = 1_700_000_000_000;

function model(): MemoryModel {
  const m = new MemoryModel();
  m.upsert(
    [
      { id: 1, namespace: 'a', timestamp: now - 100 * day, entity: 'trip' },
      { id: 2, namespace: 'a', timestamp: now - 100 * day },
      { id: 3, namespace: 'b', timestamp: now - 100 * day, entity: 'trip' },
      { id: 4, namespace: 'a', timestamp: now - 1 * day, entity: 'trip' },
    ],
    now,
  );
  // Memory 2 was recalled yesterday: not stale.
  m.touch([1], now - day);
  return m;
}

describe('staleIds', () => {
  it('picks memories neither created nor recalled within the window, in one namespace or all', async () => {
    expect(await staleIds(model(), 'a', 30, now)).toEqual([1]);
    expect(await staleIds(model(), undefined, 30, now)).toEqual([1, 3]);
    expect(await staleIds(model(), 'a', 200, now)).toEqual([]);
    expect(await staleIds(model(), 'a', undefined, now)).toEqual([1, 2, 4]);
    expect(await staleIds(model(), 'c', undefined, now)).toEqual([]);
  });

  it('reads a large store in turns, skipping forgotten rows, and picks the same as a record-by-record scan', async () => {
    const m = new MemoryModel();
    const n = 70_000;
    m.upsert(
      Array.from({ length: n }, (_, i) => ({
        id: i % 3 === 0 ? `s${i}` : i,
        namespace: i % 2 === 0 ? 'a' : 'b',
        timestamp: now - (i % 50) * day,
      })),
      now,
    );
    m.forget(Array.from({ length: 100 }, (_, i) => i * 7 + 1).map((i) => (i % 3 === 0 ? `s${i}` : i)));
    m.touch(
      Array.from({ length: 1000 }, (_, i) => i * 13),
      now - 2 * day,
    );
    const byRecords = (ns: string | undefined, days: number): unknown[] =>
      [...m.liveRows()]
        .map((row) => m.record(row)!)
        .filter(
          (r) =>
            (ns === undefined || r.namespace === ns) &&
            r.timestamp < now - days * day &&
            (r.lastRecalled === null || r.lastRecalled < now - days * day),
        )
        .map((r) => r.id);
    // Another task gets its turns between the scan's parts (three parts of 32,768 rows).
    const { value: picked, turns } = await turnsDuring(() => staleIds(m, 'a', 30, now));
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(picked).toEqual(byRecords('a', 30));
    expect(picked.length).toBeGreaterThan(1000);
    expect(await staleIds(m, undefined, 10, now)).toEqual(byRecords(undefined, 10));
  });
});

describe('entityIds', () => {
  it("picks one entity's memories inside one namespace; unknown names pick nothing", () => {
    expect(entityIds(model(), 'a', 'trip')).toEqual([1, 4]);
    expect(entityIds(model(), 'c', 'trip')).toEqual([]);
    expect(entityIds(model(), 'a', 'work')).toEqual([]);
  });
});

describe('purge and deleteByEntity options', () => {
  it("need a namespace; '*' means every namespace", () => {
    expect(checkPurge({ namespace: '*', olderThanDays: 2, now: new Date(now) })).toEqual({ namespace: undefined, days: 2, now });
    expect(checkPurge({ namespace: 'a' })).toEqual({ namespace: 'a', days: undefined, now: undefined });
    expect(() => checkPurge({ olderThanDays: 2 })).toThrow("options.namespace is required: name one, or pass '*' to purge every namespace");
    expect(() => checkPurge({ namespace: 'a', olderThanDays: 0 })).toThrow('options.olderThanDays must be a finite number > 0, got 0');
    expect(checkEntityScope({ namespace: 'a', entity: 'trip' })).toEqual({ namespace: 'a', entity: 'trip' });
    expect(() => checkEntityScope({ namespace: 'a' })).toThrow(/options.entity must be a non-empty entity name/);
  });
});
