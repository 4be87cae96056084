// Model-based property test of the memory model through the public API: random sequences of adds, batches,
// updates, forgets, purges, entity deletes, links, searches, context chains, compactions and reopens (from
// the saved file or through the WAL) across namespaces and entities, checked step by step against an
// independent reference written here (plain maps, float64 math, the scoring formula from design.md and a
// textbook BFS). Stores stay under 256 memories, where search is
// exact, so results can be compared exactly, not by recall.
import { gaussian, referenceDistance, seededRandom, suiteCount, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError, type MemoryId } from 'feather-db';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const dim = 6;
const day = 86_400_000;
const namespaces = ['alpha', 'beta', 'gamma'] as const;
const entities = [null, 'e0', 'e1'] as const;

interface RefMemory {
  vector: number[];
  namespace: string;
  entity: string | null;
  importance: number;
  attributes: Record<string, string | number>;
  timestamp: number;
  recallCount: number;
  lastRecalled: number | null;
  order: number;
}

interface RefEdge {
  from: MemoryId;
  to: MemoryId;
  type: string;
  weight: number;
}

// Vectors come from a seeded Gaussian (not from fast-check floats): exact ties between similarities, which
// would let the store and the reference pick different but equally right top-k, have probability zero.
const vectorArb = fc.integer({ min: 1, max: 2 ** 31 - 1 }).map((seed) => {
  const rand = seededRandom(seed);
  return Array.from({ length: dim }, () => gaussian(rand));
});
const idArb = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom('s0', 's1', 's2', 's3', 's4', 's5'));
const filterArb = fc.option(fc.record({ color: fc.constantFrom('r', 'g', 'b') }, { requiredKeys: [] }), { nil: undefined });
const opArb = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('add' as const),
      id: fc.option(idArb, { nil: undefined }),
      vector: vectorArb,
      namespace: fc.constantFrom(...namespaces),
      entity: fc.constantFrom(...entities),
      color: fc.constantFrom('r', 'g', 'b'),
      n: fc.integer({ min: 0, max: 2 }),
      importance: fc.double({ min: 0.25, max: 3, noNaN: true }),
      ageDays: fc.integer({ min: 0, max: 60 }),
    }),
  },
  {
    // addBatch without metas (one UpsertRows op a slice): explicit ids (repeats included) or automatic ones.
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('batch' as const),
      rows: fc.array(fc.record({ id: idArb, vector: vectorArb }), { minLength: 1, maxLength: 4 }),
      auto: fc.boolean(),
      namespace: fc.option(fc.constantFrom(...namespaces), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('update' as const),
      id: idArb,
      importance: fc.double({ min: 0.25, max: 3, noNaN: true }),
      entity: fc.constantFrom(...entities),
      color: fc.constantFrom('r', 'g', 'b'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('forget' as const), ids: fc.array(idArb, { minLength: 1, maxLength: 3 }) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('purge' as const),
      namespace: fc.constantFrom('*', ...namespaces),
      days: fc.integer({ min: 5, max: 55 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('deleteByEntity' as const),
      namespace: fc.constantFrom(...namespaces),
      entity: fc.constantFrom('e0', 'e1'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('link' as const),
      from: idArb,
      to: idArb,
      edgeType: fc.constantFrom('a', 'b'),
      weight: fc.double({ min: 0, max: 2, noNaN: true }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('search' as const),
      query: vectorArb,
      k: fc.integer({ min: 1, max: 8 }),
      namespace: fc.option(fc.constantFrom(...namespaces), { nil: undefined }),
      entity: fc.option(fc.constantFrom('e0', 'e1'), { nil: undefined }),
      filter: filterArb,
      decay: fc.option(
        fc.record({ halfLife: fc.double({ min: 1, max: 60, noNaN: true }), timeWeight: fc.double({ min: 0, max: 1, noNaN: true }) }),
        { nil: undefined },
      ),
      track: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('chain' as const),
      query: vectorArb,
      k: fc.integer({ min: 1, max: 4 }),
      hops: fc.integer({ min: 0, max: 3 }),
      namespace: fc.option(fc.constantFrom(...namespaces), { nil: undefined }),
      track: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'compact' as const }) },
  // Close and open again: from the saved file's columns (save) or from the old file plus the WAL (no save).
  { weight: 1, arbitrary: fc.record({ type: fc.constant('reopen' as const), save: fc.boolean() }) },
);

/** Cosine similarity in float64 (the testkit oracle's distance is 1 - cos). */
const cosine = (a: readonly number[], b: readonly number[]): number => 1 - referenceDistance('cosine', a, b);

/** The reference scoring formula (design.md §2), written out independently of the engine. */
function referenceScore(similarity: number, m: RefMemory, now: number, decay?: { halfLife: number; timeWeight: number }): number {
  if (decay === undefined) return similarity;
  const age = Math.max(0, now - m.timestamp) / day;
  const recency = Math.pow(0.5, age / (1 + Math.log(1 + m.recallCount)) / decay.halfLife);
  return ((1 - decay.timeWeight) * similarity + decay.timeWeight * recency) * m.importance;
}

async function expectNotFound(p: Promise<unknown>): Promise<void> {
  await expect(p).rejects.toBeInstanceOf(FeatherError);
  await p.catch((error: FeatherError) => expect(error.code).toBe('FEATHER_ERR_NOT_FOUND'));
}

/** FEATHER_PROPERTY_RUNS (default 100; test:fuzz runs 400) and FEATHER_PROPERTY_SEED (drawn and printed when unset). */
const kRuns = suiteCount('FEATHER_PROPERTY_RUNS', 100);
const kSeed = suiteSeed('memory-model property', 'FEATHER_PROPERTY_SEED');

describe('memory model (property)', () => {
  it(`matches the reference model under random operation sequences, ${kRuns} runs`, { timeout: 60_000 + kRuns * 2_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 45 }), async (ops) => {
        const path = tempStorePath('property.feather');
        let db = await Feather.open(path, { dim, threads: 1 });
        const ref = new Map<MemoryId, RefMemory>();
        let edges: RefEdge[] = [];
        let nextAuto = 0;
        let order = 0;
        // The store's clock, passed to every call that reads one: results never depend on when the test runs.
        let clock = Date.UTC(2026, 0, 1);
        const drop = (ids: Iterable<MemoryId>): void => {
          for (const id of ids) ref.delete(id);
          edges = edges.filter((e) => ref.has(e.from) && ref.has(e.to));
        };
        try {
          for (const op of ops) {
            clock += 3_600_000;
            const now = clock;
            switch (op.type) {
              case 'add': {
                const id = op.id ?? nextAuto;
                const { id: got } = await db.add(op.vector, {
                  ...(op.id === undefined ? {} : { id: op.id }),
                  namespace: op.namespace,
                  entity: op.entity,
                  importance: op.importance,
                  attributes: { color: op.color, n: op.n },
                  timestamp: now - op.ageDays * day,
                });
                expect(got).toBe(id);
                if (typeof id === 'number') nextAuto = Math.max(nextAuto, id + 1);
                const old = ref.get(id);
                // An upsert makes the memory the last one written (getLast), whether it existed or not.
                ref.set(id, {
                  vector: op.vector,
                  namespace: op.namespace,
                  entity: op.entity,
                  importance: op.importance,
                  attributes: { color: op.color, n: op.n },
                  timestamp: now - op.ageDays * day,
                  recallCount: old?.recallCount ?? 0,
                  lastRecalled: old?.lastRecalled ?? null,
                  order: order++,
                });
                break;
              }
              case 'batch': {
                const given = op.auto ? undefined : op.rows.map((r) => r.id);
                const { ids } = await db.addBatch(
                  op.rows.map((r) => r.vector),
                  { ...(given === undefined ? {} : { ids: given }), ...(op.namespace === undefined ? {} : { namespace: op.namespace }) },
                );
                expect(ids).toEqual(given ?? op.rows.map((_, i) => nextAuto + i));
                op.rows.forEach((r, i) => {
                  const id = ids[i];
                  if (typeof id === 'number') nextAuto = Math.max(nextAuto, id + 1);
                  const old = ref.get(id);
                  // A row without metas sets the vector (and the namespace, when the batch names one); a new memory
                  // takes the defaults and the store's clock at the write, read back rather than assumed.
                  ref.set(id, {
                    vector: r.vector,
                    namespace: op.namespace ?? old?.namespace ?? 'default',
                    entity: old?.entity ?? null,
                    importance: old?.importance ?? 1,
                    attributes: old?.attributes ?? {},
                    timestamp: old?.timestamp ?? db.get(id)!.timestamp,
                    recallCount: old?.recallCount ?? 0,
                    lastRecalled: old?.lastRecalled ?? null,
                    order: order++,
                  });
                });
                break;
              }
              case 'update': {
                const m = ref.get(op.id);
                const p = db.update(op.id, { importance: op.importance, entity: op.entity, attributes: { color: op.color } });
                if (m === undefined) {
                  await expectNotFound(p);
                } else {
                  await p;
                  Object.assign(m, { importance: op.importance, entity: op.entity, attributes: { color: op.color } });
                }
                break;
              }
              case 'forget': {
                const p = db.forget(op.ids);
                if (op.ids.some((id) => !ref.has(id))) {
                  await expectNotFound(p);
                } else {
                  expect(await p).toBe(new Set(op.ids).size);
                  drop(op.ids);
                }
                break;
              }
              case 'purge': {
                const cutoff = now - op.days * day;
                const gone = [...ref]
                  .filter(
                    ([, m]) =>
                      (op.namespace === '*' || m.namespace === op.namespace) &&
                      m.timestamp < cutoff &&
                      (m.lastRecalled === null || m.lastRecalled < cutoff),
                  )
                  .map(([id]) => id);
                expect(await db.purge({ namespace: op.namespace, olderThanDays: op.days, now })).toBe(gone.length);
                drop(gone);
                break;
              }
              case 'deleteByEntity': {
                const gone = [...ref].filter(([, m]) => m.namespace === op.namespace && m.entity === op.entity).map(([id]) => id);
                expect(await db.deleteByEntity({ namespace: op.namespace, entity: op.entity })).toBe(gone.length);
                drop(gone);
                break;
              }
              case 'link': {
                const p = db.link(op.from, op.to, { type: op.edgeType, weight: op.weight });
                if (!ref.has(op.from) || !ref.has(op.to)) {
                  await expectNotFound(p);
                } else {
                  await p;
                  const existing = edges.find((e) => e.from === op.from && e.to === op.to && e.type === op.edgeType);
                  if (existing !== undefined) existing.weight = op.weight;
                  else edges.push({ from: op.from, to: op.to, type: op.edgeType, weight: op.weight });
                }
                break;
              }
              case 'search': {
                const hits = await db.search(op.query, {
                  k: op.k,
                  namespace: op.namespace,
                  entity: op.entity,
                  filter: op.filter,
                  track: op.track,
                  now,
                  ...(op.decay ?? {}),
                });
                const at = now;
                const eligible = [...ref].filter(
                  ([, m]) =>
                    (op.namespace === undefined || m.namespace === op.namespace) &&
                    (op.entity === undefined || m.entity === op.entity) &&
                    (op.filter?.color === undefined || m.attributes.color === op.filter.color),
                );
                const expected = eligible
                  .map(([id, m]) => ({ id, score: referenceScore(cosine(op.query, m.vector), m, at, op.decay) }))
                  .sort((a, b) => b.score - a.score)
                  .slice(0, op.k);
                expect(hits.length).toBe(expected.length);
                for (let i = 0; i < hits.length; i++) {
                  const hit = hits[i];
                  const m = ref.get(hit.id);
                  // Never a forgotten memory, never outside the scope or filter.
                  expect(m, `hit ${String(hit.id)} is not live`).toBeDefined();
                  expect(hit.namespace).toBe(m!.namespace);
                  if (op.namespace !== undefined) expect(hit.namespace).toBe(op.namespace);
                  if (op.entity !== undefined) expect(hit.entity).toBe(op.entity);
                  if (op.filter?.color !== undefined) expect(hit.attributes.color).toBe(op.filter.color);
                  expect(hit.similarity).toBeCloseTo(cosine(op.query, m!.vector), 4);
                  expect(hit.score).toBeCloseTo(referenceScore(hit.similarity, m!, at, op.decay), 6);
                  // Same scores as the reference's top k (ids may differ only among exact ties).
                  expect(hit.score).toBeCloseTo(expected[i].score, 4);
                }
                if (op.track)
                  for (const hit of hits)
                    Object.assign(ref.get(hit.id)!, { recallCount: ref.get(hit.id)!.recallCount + 1, lastRecalled: at });
                break;
              }
              case 'chain': {
                const chain = await db.contextChain(op.query, { k: op.k, hops: op.hops, namespace: op.namespace, track: op.track, now });
                const seeds = [...ref]
                  .filter(([, m]) => op.namespace === undefined || m.namespace === op.namespace)
                  .map(([id, m]) => ({ id, score: cosine(op.query, m.vector) }))
                  .sort((a, b) => b.score - a.score)
                  .slice(0, op.k);
                // Reference BFS: layer by layer, best parent score * 0.5 * weight * importance * stickiness.
                const found = new Map<MemoryId, { hop: number; score: number }>(seeds.map((s) => [s.id, { hop: 0, score: s.score }]));
                let layer = seeds.map((s) => s.id);
                for (let hop = 1; hop <= op.hops; hop++) {
                  const next = new Map<MemoryId, number>();
                  for (const parent of layer) {
                    for (const e of edges) {
                      const other = e.from === parent ? e.to : e.to === parent ? e.from : undefined;
                      if (other === undefined || found.has(other)) continue;
                      const m = ref.get(other)!;
                      if (op.namespace !== undefined && m.namespace !== op.namespace) continue;
                      const score = found.get(parent)!.score * 0.5 * e.weight * m.importance * (1 + Math.log(1 + m.recallCount));
                      next.set(other, Math.max(next.get(other) ?? -Infinity, score));
                    }
                  }
                  for (const [id, score] of next) found.set(id, { hop, score });
                  layer = [...next.keys()];
                }
                const byId = (a: { id: MemoryId }, b: { id: MemoryId }): number =>
                  String(a.id).localeCompare(String(b.id)) || (typeof a.id === 'number' ? -1 : 1);
                expect(chain.nodes.map((n) => ({ id: n.id, hop: n.hop })).sort(byId)).toEqual(
                  [...found].map(([id, f]) => ({ id, hop: f.hop })).sort(byId),
                );
                for (const n of chain.nodes) expect(n.score).toBeCloseTo(found.get(n.id)!.score, 4);
                for (let i = 1; i < chain.nodes.length; i++) expect(chain.nodes[i].score).toBeLessThanOrEqual(chain.nodes[i - 1].score);
                for (const e of chain.edges) expect(ref.has(e.from) && ref.has(e.to)).toBe(true);
                if (op.track)
                  for (const n of chain.nodes)
                    Object.assign(ref.get(n.id)!, { recallCount: ref.get(n.id)!.recallCount + 1, lastRecalled: now });
                break;
              }
              case 'compact':
                await db.compact();
                break;
              case 'reopen': {
                if (op.save) await db.save();
                await db.close();
                db = await Feather.open(path, { threads: 1 });
                expect(await db.checkIntegrity()).toEqual({ ok: true, problems: [] });
                break;
              }
            }
            // Cheap whole-state checks after every step.
            expect(db.count()).toBe(ref.size);
            for (const ns of namespaces)
              expect(db.count({ namespace: ns })).toBe([...ref.values()].filter((m) => m.namespace === ns).length);
          }
          for (const [id, m] of ref) {
            expect(db.get(id)).toMatchObject({
              id,
              namespace: m.namespace,
              entity: m.entity,
              importance: m.importance,
              recallCount: m.recallCount,
              lastRecalled: m.lastRecalled,
              timestamp: m.timestamp,
            });
            const { outgoing, incoming } = db.edges(id);
            expect(outgoing.length).toBe(edges.filter((e) => e.from === id).length);
            expect(incoming.length).toBe(edges.filter((e) => e.to === id).length);
          }
          const last = [...ref].sort(([, a], [, b]) => b.order - a.order)[0];
          expect(db.getLast()?.id).toBe(last?.[0]);
        } finally {
          await db.close();
        }
      }),
      { numRuns: kRuns, seed: kSeed, verbose: 0 },
    );
  });
});
