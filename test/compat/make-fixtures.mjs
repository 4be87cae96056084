// Writes the golden fixtures of the current format version into test/compat/fixtures/v<major>/.
// Run once per released format version; committed fixtures are never regenerated: compat.test.ts opens them
// forever. Usage: node test/compat/make-fixtures.mjs   (after pnpm build)
import { existsSync, mkdirSync } from 'node:fs';
import { HnswIndex, KernelArena, kFormatMajor, nodeFileIo, StoreEngine } from '@feather-db/core';
import { gaussian, seededRandom } from '@feather-db/testkit';

const dir = new URL(`./fixtures/v${kFormatMajor}/`, import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
for (const [name, graph] of [
  ['graph', 'always'],
  ['vectors', 'never'],
]) {
  const path = `${dir}${name}.feather`;
  if (existsSync(path)) {
    console.error(`${path} exists: fixtures are never regenerated`);
    continue;
  }
  const arena = KernelArena.create();
  const engine = new StoreEngine(arena, nodeFileIo());
  const link = (result) => {
    for (const job of result.jobs) {
      const index = HnswIndex.attach(arena, job.index);
      for (let id = job.first; id < job.first + job.count; id++) index.insertReserved(id);
    }
  };
  engine.open({
    path,
    modalities: { text: { dim: 4, metric: 'cosine' }, image: { dim: 3, metric: 'l2' } },
    m: 8,
    efConstruction: 40,
    efSearch: 32,
    modelId: 'fixture-model-v1',
    readOnly: false,
    durability: 'fsync',
  });
  const rand = seededRandom(2026);
  const text = Float32Array.from({ length: 50 * 4 }, () => gaussian(rand));
  const image = Float32Array.from({ length: 10 * 3 }, () => gaussian(rand));
  const write = (op, vectors = {}) => engine.writeMany([{ op, vectors, parallel: false }]).forEach(link);
  write(
    {
      type: 'upsert',
      now: 1_780_000_000_000,
      items: Array.from({ length: 50 }, (_, i) => ({
        id: i % 2 === 0 ? i : `s${i}`,
        modality: 'text',
        text: `fixture ${i}`,
        namespace: `ns${i % 3}`,
        entity: i % 4 === 0 ? 'topic' : null,
        importance: 1 + i / 100,
        attributes: { i, even: i % 2 === 0, label: `L${i % 5}` },
        timestamp: 1_780_000_000_000 + i * 1000,
      })),
    },
    { text },
  );
  write(
    { type: 'upsert', now: 1_780_000_000_000, items: Array.from({ length: 10 }, (_, i) => ({ id: i * 2, modality: 'image' })) },
    { image },
  );
  write({ type: 'link', from: 0, to: 's1', edgeType: 'next', weight: 0.25 });
  write({ type: 'link', from: 's1', to: 2, edgeType: 'next', weight: 0.75 });
  write({ type: 'forget', ids: [4] });
  write({ type: 'touch', rows: [0, 1], at: 1_780_000_500_000 });
  link(engine.beginRebuild(['image'], { modality: 'image', storage: 'int8', maxAbs: 3 }));
  engine.commitRebuild();
  engine.save(undefined, graph);
  write(
    {
      type: 'upsert',
      now: 1_780_000_600_000,
      items: [{ id: 'wal-1', modality: 'text', text: 'from the wal', namespace: 'ns0', timestamp: 1_780_000_600_000 }],
    },
    { text: Float32Array.of(1, 0, 0, 0) },
  );
  write({ type: 'update', id: 6, patch: { importance: 5, text: 'updated in the wal' } });
  write({ type: 'forget', ids: ['s7'] });
  engine.close();
  console.error(`wrote ${path} and ${path}.wal`);
}
