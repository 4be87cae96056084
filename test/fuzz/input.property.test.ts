// Property: any vector input, however extreme (subnormal, float64-only tiny or huge, NaN, ±Infinity, -0,
// non-numbers, wrong lengths), through add, addBatch or search, is either a typed rejection or a correct store,
// and the store stays usable either way: a valid vector is accepted iff every component is a finite number
// that fits in float32 and, under cosine, at least one is non-zero as float32; an accepted one is stored as
// its float32 value (cosine: its direction, unit length). addBatch rows refilled before the batch was read (right
// after the call) refuse the whole batch; refilled once it settled, they change nothing stored.
// FEATHER_PROPERTY_RUNS sets the runs (default 40; test:fuzz runs 400), FEATHER_PROPERTY_SEED the seed.
import { suiteCount, suiteSeed, tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError, type Metric } from 'feather-db';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const kDim = 4;
const kFloat32Max = 3.4028234663852886e38;

const component = fc.oneof(
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.constantFrom(
    0,
    -0,
    1e-40,
    -1e-45,
    1.4e-45,
    5e-324,
    1e-50,
    1e-300,
    1e19,
    -2e19,
    1e30,
    kFloat32Max,
    -kFloat32Max,
    3.5e38,
    1e300,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
  ),
  fc.double(),
);
const vectorArb = fc.oneof(
  { weight: 8, arbitrary: fc.array(component, { minLength: kDim, maxLength: kDim }) },
  { weight: 1, arbitrary: fc.array(component, { minLength: 0, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constant(['1', 2, 3, 4] as unknown as number[]) },
);

type Action = { kind: 'add'; v: number[] } | { kind: 'batch'; rows: number[][]; mutate: boolean } | { kind: 'search'; v: number[] };
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  vectorArb.map((v) => ({ kind: 'add' as const, v })),
  fc
    .record({ rows: fc.array(vectorArb, { minLength: 1, maxLength: 4 }), mutate: fc.boolean() })
    .map((r) => ({ kind: 'batch' as const, ...r })),
  vectorArb.map((v) => ({ kind: 'search' as const, v })),
);

/** Whether the store must accept `v` (see the header). */
function valid(v: unknown[], metric: Metric): boolean {
  if (v.length !== kDim) return false;
  if (!v.every((x) => typeof x === 'number' && Number.isFinite(x) && Math.abs(x) <= kFloat32Max)) return false;
  return metric !== 'cosine' || v.some((x) => Math.fround(x as number) !== 0);
}

/** What must be stored for an accepted `v`. */
function stored(v: number[], metric: Metric): number[] {
  const f = v.map((x) => Math.fround(x));
  if (metric !== 'cosine') return f;
  const max = Math.max(...f.map(Math.abs));
  const scaled = f.map((x) => x / max);
  const norm = Math.hypot(...scaled);
  return scaled.map((x) => x / norm);
}

async function outcome(p: Promise<unknown>): Promise<{ ok: true; value: unknown } | { ok: false; code: string }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return { ok: false, code: (error as FeatherError).code };
  }
}

const runs = suiteCount('FEATHER_PROPERTY_RUNS', 40);
const seed = suiteSeed('input property', 'FEATHER_PROPERTY_SEED');

describe('vector input property', () => {
  for (const metric of ['cosine', 'l2'] as const) {
    it(`every input is a typed rejection or a correct store (${metric}), ${runs} runs`, { timeout: 120_000 + runs * 2_000 }, async () => {
      const db = await Feather.open(tempStorePath(), { dim: kDim, metric, threads: 1 });
      let inputs = 0;
      try {
        await fc.assert(
          fc.asyncProperty(fc.array(actionArb, { minLength: 1, maxLength: 8 }), async (actions) => {
            for (const action of actions) {
              if (action.kind === 'add') {
                inputs++;
                const r = await outcome(db.add(action.v));
                expect(r.ok, JSON.stringify(action.v)).toBe(valid(action.v, metric));
                if (r.ok) {
                  const got = Array.from(db.getVector((r.value as { id: number }).id)!);
                  stored(action.v, metric).forEach((x, i) => expect(got[i]).toBeCloseTo(x, 5));
                } else {
                  expect(['FEATHER_ERR_INVALID_ARGUMENT', 'FEATHER_ERR_DIMENSION_MISMATCH']).toContain(r.code);
                }
              } else if (action.kind === 'batch') {
                inputs += action.rows.length;
                const copies = action.rows.map((row) => [...row]);
                const before = db.count();
                const p = outcome(db.addBatch(action.rows));
                // Right after the call, before its turn in the write order has read the rows.
                if (action.mutate) for (const row of action.rows) row.fill(Number.NaN);
                const r = await p;
                const allValid = copies.every((row) => valid(row, metric));
                expect(r.ok, JSON.stringify(copies)).toBe(allValid && !action.mutate);
                if (!r.ok) expect(['FEATHER_ERR_INVALID_ARGUMENT', 'FEATHER_ERR_DIMENSION_MISMATCH']).toContain(r.code);
                if (r.ok) {
                  const ids = (r.value as { ids: number[] }).ids;
                  ids.forEach((id, k) => {
                    const got = Array.from(db.getVector(id)!);
                    stored(copies[k], metric).forEach((x, i) => expect(got[i]).toBeCloseTo(x, 5));
                  });
                } else {
                  // A batch is all or nothing.
                  expect(db.count()).toBe(before);
                }
              } else {
                inputs++;
                const r = await outcome(db.search(action.v, { k: 3 }));
                expect(r.ok, JSON.stringify(action.v)).toBe(valid(action.v, metric));
              }
            }
            // Usable either way.
            const { id } = await db.add([1, 2, 3, 4]);
            expect(db.get(id)).toBeDefined();
          }),
          { numRuns: runs, seed, verbose: 0 },
        );
        expect((await db.checkIntegrity()).problems).toEqual([]);
      } finally {
        await db.close();
      }
      process.stdout.write(`input property (${metric}): ${inputs} vector inputs tried\n`);
    });
  }
});
