// feather export -> feather import restores a store: every get(), bit-equal vectors, edges and search results.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusteredVectors, row, tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';
import { jsonOf, runCli } from './run-cli.js';
import { expectSameStore } from './same-store.js';

const dim = 12;
const n = 700;
const data = clusteredVectors({ n: n + 20, dim, seed: 1603 });
const kNow = Date.UTC(2026, 6, 1);

describe('feather export | feather import', () => {
  it('round-trips a store with both id types, metadata, recall state, edges, two modalities and forgotten rows', async () => {
    const dir = tempDir();
    const source = join(dir, 'a.feather');
    const a = await Feather.open(source, {
      dim,
      threads: 2,
      embeddingModel: 'test:model-12',
      modalities: { image: { dim: 3, metric: 'l2' } },
    });
    await a.addBatch(data.subarray(0, n * dim), {
      ids: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? i : `m${i}`)),
      metas: Array.from({ length: n }, (_, i) => ({
        text: i % 7 === 0 ? '' : `memory "${i}"\nline two`,
        namespace: `ns${i % 4}`,
        entity: i % 5 === 0 ? 'topic' : null,
        importance: 0.5 + (i % 4),
        attributes: { i, odd: i % 2 === 1, tag: `t${i % 3}` },
        timestamp: Date.UTC(2026, 0, 1) + i * 3_600_000,
      })),
    });
    for (let i = 0; i < n; i += 25) await a.add([i, -i, 0.5], { id: i % 3 === 0 ? i : `m${i}`, modality: 'image' });
    await a.link(3, 'm4', { type: 'next', weight: 0.25 });
    await a.link('m4', 3);
    await a.link('m698', 0, { type: 'late', weight: 2 });
    await a.link(0, 'm698');
    await a.forget(['m1', 6]);
    for (let q = 0; q < 5; q++) await a.search(row(data, dim, q * 10), { k: 3, now: kNow - q * 1000 });
    await a.close();

    const dump = join(dir, 'dump.jsonl');
    const exported = await runCli(['export', source, '--vectors', '--out', dump]);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = readFileSync(dump, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0])).toEqual({
      $feather: { version: 1, dim, metric: 'cosine', modalities: { image: { dim: 3, metric: 'l2' } }, embeddingModel: 'test:model-12' },
    });
    expect(lines.length).toBe(1 + n - 2);
    // stdout gives the same lines.
    expect((await runCli(['export', source, '--vectors'])).stdout).toBe(`${lines.join('\n')}\n`);

    const target = join(dir, 'b.feather');
    const imported = await runCli(['import', target, dump, '--json', '--embed', 'none']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(jsonOf<{ totals: { inserted: number; failed: number; linksAdded: number } }>(imported).totals).toEqual(
      expect.objectContaining({ inserted: n - 2, failed: 0, linksAdded: 4 }),
    );

    const [ra, rb] = await Promise.all([
      Feather.open(source, { readOnly: true, threads: 1 }),
      Feather.open(target, { readOnly: true, threads: 1 }),
    ]);
    try {
      expect(ra.get(0)?.recallCount).toBeGreaterThan(0);
      const queries = Array.from({ length: 10 }, (_, q) => row(data, dim, n + q));
      expect(await expectSameStore(ra, rb, queries, kNow)).toBe(n - 2);
    } finally {
      await Promise.all([ra.close(), rb.close()]);
    }

    const ns = await runCli(['export', source, '--namespace', 'ns2', '--no-header']);
    const rows = ns.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { namespace: string; vector?: unknown });
    expect(rows.every((r) => r.namespace === 'ns2' && r.vector === undefined)).toBe(true);
    // Row 6 (forgotten) was in ns2.
    expect(rows.length).toBe(n / 4 - 1);
  });
});
