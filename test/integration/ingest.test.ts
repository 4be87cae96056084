// db.ingest: batching, failures by position, resumable ids, onExisting, links, embedder, abort, bounded memory.
import { Readable } from 'node:stream';
import { clusteredVectors, row, tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError, type Embedder, type IngestFailure, type IngestProgress, type IngestRow } from 'feather-db';
import { afterAll, describe, expect, it } from 'vitest';

const open: Feather[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
});

async function opened(options?: Parameters<typeof Feather.open>[1]): Promise<Feather> {
  const db = await Feather.open(tempStorePath(), { dim, threads: 2, ...options });
  open.push(db);
  return db;
}

async function errorOf(p: Promise<unknown>): Promise<FeatherError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return error as FeatherError;
  }
  throw new Error('expected a FeatherError');
}

const dim = 8;
const data = clusteredVectors({ n: 3000, dim, seed: 161 });

/** A deterministic Embedder (not a model): a text's vector comes from its characters. It refuses 'REFUSE'. */
class CharEmbedder implements Embedder {
  readonly id = 'test:chars-8';
  readonly dim = dim;
  calls = 0;
  embed(texts: readonly string[]): Promise<Float32Array[]> {
    this.calls++;
    if (texts.includes('REFUSE'))
      return Promise.reject(new FeatherError('FEATHER_ERR_INVALID_ARGUMENT', 'text "REFUSE" cannot be embedded'));
    return Promise.resolve(texts.map((t) => Float32Array.from({ length: dim }, (_, i) => 1 + (t.charCodeAt(i % t.length) % 17) + i)));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function* rows(n: number, from = 0): Generator<IngestRow> {
  for (let i = from; i < from + n; i++)
    yield { vector: row(data, dim, i), text: `row ${i}`, namespace: `ns${i % 3}`, timestamp: Date.UTC(2026, 0, 1) + i };
}

describe('db.ingest', () => {
  it('stores valid rows, reports bad ones by position and reason, and counts every row once', async () => {
    const db = await opened();
    const failures: IngestFailure[] = [];
    const source: (IngestRow | Error)[] = [
      { vector: row(data, dim, 0), id: 'a', text: 'first', links: [{ to: 'c', type: 'next', weight: 0.5 }] },
      { vector: [1, 2, 3] },
      { vector: row(data, dim, 1), namesapce: 'typo' } as IngestRow,
      new Error('line 4: Unexpected token } in JSON'),
      { text: 'no vector and no embedder' },
      { vector: new Array<number>(dim).fill(0) },
      { vector: row(data, dim, 2), id: 'b', links: [{ to: 'a' }, { to: 'never' }] },
      { vector: row(data, dim, 3), id: 'c', importance: 2, attributes: { k: 'v' }, entity: 'topic', recallCount: 3, lastRecalled: 5 },
      { vector: row(data, dim, 4) },
    ];
    const summary = await db.ingest(source, { batchSize: 2, sourceName: 'src', onFailure: (f) => failures.push(f) });
    expect(summary).toMatchObject({ read: 9, inserted: 4, updated: 0, skipped: 0, failed: 5, links: { added: 2, failed: 1 } });
    expect(failures).toEqual(summary.failures);
    expect(failures.map((f) => [f.row, f.code])).toEqual([
      [2, 'FEATHER_ERR_DIMENSION_MISMATCH'],
      [3, 'FEATHER_ERR_INVALID_ARGUMENT'],
      [4, 'FEATHER_ERR_INVALID_ARGUMENT'],
      [5, 'FEATHER_ERR_INVALID_ARGUMENT'],
      [6, 'FEATHER_ERR_INVALID_ARGUMENT'],
      [7, 'FEATHER_ERR_NOT_FOUND'],
    ]);
    expect(failures[1].message).toContain('row 3.namesapce is not a known option');
    expect(failures[2].message).toBe('row 4: line 4: Unexpected token } in JSON');
    expect(failures[5]).toMatchObject({ id: 'b', link: { to: 'never', type: 'related_to' } });
    // Rows without an id get `<sourceName>:<row>`; the link to 'c' waited for row 8.
    expect(db.get('src:9')).toMatchObject({ namespace: 'default' });
    expect(db.get('c')).toMatchObject({ importance: 2, attributes: { k: 'v' }, entity: 'topic', recallCount: 3, lastRecalled: 5 });
    expect(db.edges('a').outgoing).toEqual([{ from: 'a', to: 'c', type: 'next', weight: 0.5 }]);
    expect(db.edges('a').incoming).toEqual([{ from: 'b', to: 'a', type: 'related_to', weight: 1 }]);
    expect(db.count()).toBe(4);
  });

  it('resumes: a re-run skips stored rows by their stable ids; upsert replaces them; error fails them', async () => {
    const db = await opened();
    const first = await db.ingest(rows(1000), { sourceName: 'gen', batchSize: 300 });
    expect(first).toMatchObject({ read: 1000, inserted: 1000, failed: 0 });
    const again = await db.ingest(rows(1200), { sourceName: 'gen', batchSize: 300 });
    expect(again).toMatchObject({ read: 1200, inserted: 200, skipped: 1000, failed: 0 });
    expect(db.count()).toBe(1200);
    expect(db.get('gen:1200')?.text).toBe('row 1199');
    const changed = (function* () {
      for (const r of rows(10)) yield { ...r, text: `new ${r.text!}` };
    })();
    expect(await db.ingest(changed, { sourceName: 'gen', onExisting: 'upsert' })).toMatchObject({ inserted: 0, updated: 10 });
    expect(db.get('gen:3')?.text).toBe('new row 2');
    const refused = await db.ingest(rows(3), { sourceName: 'gen', onExisting: 'error' });
    expect(refused).toMatchObject({ inserted: 0, failed: 3 });
    expect(refused.failures[0]).toMatchObject({ row: 1, id: 'gen:1', code: 'FEATHER_ERR_ALREADY_EXISTS' });
    // A duplicate id later in the same source is an existing row too.
    const dup = await db.ingest([
      { vector: row(data, dim, 5), id: 'x' },
      { vector: row(data, dim, 6), id: 'x' },
    ]);
    expect(dup).toMatchObject({ inserted: 1, skipped: 1 });
    expect(await db.checkIntegrity()).toEqual({ ok: true, problems: [] });
  });

  it('numbers rows without an id with autoIds, and takes a Node readable stream in object mode', async () => {
    const db = await opened();
    await db.add(row(data, dim, 0), { id: 41 });
    const summary = await db.ingest(Readable.from([...rows(5)]), { autoIds: true });
    expect(summary.inserted).toBe(5);
    expect([42, 43, 44, 45, 46].map((id) => db.get(id)?.text)).toEqual(['row 0', 'row 1', 'row 2', 'row 3', 'row 4']);
  });

  it('embeds rows that only have text, in batches, and fails only a text the embedder refuses', async () => {
    const db = await opened({ embeddingModel: 'test:chars-8' });
    const embedder = new CharEmbedder();
    const texts = ['alpha', 'beta', 'REFUSE', 'gamma', 'delta'];
    const summary = await db.ingest(
      texts.map((text) => ({ text })),
      { embedder, batchSize: 10 },
    );
    expect(summary).toMatchObject({ inserted: 4, failed: 1, embedded: 4 });
    expect(summary.failures[0]).toMatchObject({ row: 3, code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    const [alpha] = await embedder.embed(['alpha']);
    const hits = await db.search(alpha, { k: 1, track: false });
    expect(hits[0]?.text).toBe('alpha');
    const other = { ...embedder, id: 'other:model', dim, embed: embedder.embed.bind(embedder), close: embedder.close.bind(embedder) };
    expect((await errorOf(db.ingest([], { embedder: other }))).code).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
    expect((await errorOf(db.ingest([], { embedder: { ...other, id: 'test:chars-8', dim: 9 } }))).code).toBe(
      'FEATHER_ERR_DIMENSION_MISMATCH',
    );
  });

  it('holds at most three batches of rows: the source is not read ahead of the store', async () => {
    const db = await opened();
    const batchSize = 250;
    let pulled = 0;
    let done = 0;
    let maxAhead = 0;
    const source = async function* (): AsyncGenerator<IngestRow> {
      for (let i = 0; i < 3000; i++) {
        // A source that reads something (a file, a socket) between rows.
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - done);
        yield { vector: row(data, dim, i) };
      }
    };
    const progress: IngestProgress[] = [];
    const summary = await db.ingest(source(), {
      batchSize,
      onProgress: (p) => {
        progress.push(p);
        done = p.inserted + p.skipped + p.failed;
      },
    });
    expect(summary.inserted).toBe(3000);
    expect(maxAhead).toBeLessThanOrEqual(3 * batchSize);
    expect(progress.length).toBe(3000 / batchSize + 1);
    expect(progress.at(-1)).toMatchObject({ read: 3000, inserted: 3000 });
  });

  it('stops at an abort, keeps what it stored, and a re-run completes the import', async () => {
    const db = await opened();
    const controller = new AbortController();
    const source = function* (): Generator<IngestRow> {
      for (const [i, r] of [...rows(2000)].entries()) {
        if (i === 1100) controller.abort();
        yield r;
      }
    };
    const error = await errorOf(db.ingest(source(), { batchSize: 200, signal: controller.signal, sourceName: 'a' }));
    expect(error.code).toBe('FEATHER_ERR_ABORTED');
    const stored = error.details!['inserted'] as number;
    expect(stored).toBeGreaterThan(0);
    expect(db.count()).toBe(stored);
    const rest = await db.ingest(source(), { batchSize: 200, sourceName: 'a' });
    expect(rest.inserted + rest.skipped).toBe(2000);
    expect(rest.skipped).toBe(stored);
    expect(db.count()).toBe(2000);
    expect((await errorOf(db.ingest(rows(1), { signal: AbortSignal.abort() }))).code).toBe('FEATHER_ERR_ABORTED');
  });

  it('rejects bad options and a bad source with typed errors, and refuses readOnly stores', async () => {
    const db = await opened();
    const invalid = (p: Promise<unknown>): Promise<string> => errorOf(p).then((e) => e.code);
    expect(await invalid(db.ingest(rows(1), { batchSize: 0 }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await invalid(db.ingest(rows(1), { onExisting: 'replace' as 'skip' }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await invalid(db.ingest(rows(1), { modality: 'image' }))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    expect(await invalid(db.ingest(42 as unknown as IngestRow[]))).toBe('FEATHER_ERR_INVALID_ARGUMENT');
    const failing = async function* (): AsyncGenerator<IngestRow> {
      yield* rows(10);
      await new Promise((resolve) => setImmediate(resolve));
      throw new FeatherError('FEATHER_ERR_IO', 'the disk went away');
    };
    expect((await errorOf(db.ingest(failing(), { batchSize: 4 }))).message).toBe('the disk went away');
    await db.save();
    const reader = await Feather.open(db.path, { readOnly: true, threads: 1 });
    open.push(reader);
    expect((await errorOf(reader.ingest(rows(1)))).code).toBe('FEATHER_ERR_READ_ONLY');
  });
});

describe('db.export', () => {
  it('restores a store through ingest: records, recall state, bit-equal vectors, edges, two modalities, searches', async () => {
    const a = await opened({ modalities: { image: { dim: 4, metric: 'l2' } } });
    const n = 600;
    await a.addBatch(data.subarray(0, n * dim), {
      ids: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i : `s${i}`)),
      metas: Array.from({ length: n }, (_, i) => ({
        text: `memory ${i}`,
        namespace: `ns${i % 4}`,
        entity: i % 5 === 0 ? 'topic' : null,
        importance: 1 + (i % 3),
        attributes: { i, odd: i % 2 === 1 },
        timestamp: Date.UTC(2026, 0, 1) + i * 1000,
      })),
    });
    for (let i = 0; i < n; i += 40) await a.add([i, 1, 2, 3], { id: i, modality: 'image' });
    await a.link(2, 's1', { type: 'next', weight: 0.25 });
    await a.link('s1', 2);
    await a.link('s599', 4, { type: 'late' });
    await a.forget(['s3', 6]);
    await a.search(row(data, dim, 10), { k: 5, now: Date.UTC(2026, 5, 1) });
    const b = await opened({ modalities: { image: { dim: 4, metric: 'l2' } } });
    const summary = await b.ingest(a.export({ vectors: true }), { batchSize: 128 });
    expect(summary).toMatchObject({ inserted: n - 2, failed: 0, links: { added: 3, failed: 0 } });
    for (let i = 0; i < n; i++) {
      const id = i % 2 === 0 ? i : `s${i}`;
      expect(b.get(id)).toEqual(a.get(id));
      if (a.get(id) === undefined) continue;
      expect(Array.from(b.getVector(id)!)).toEqual(Array.from(a.getVector(id)!));
      expect(b.getVector(id, 'image')).toEqual(a.getVector(id, 'image'));
      const sorted = (edges: ReturnType<Feather['edges']>): unknown => ({
        outgoing: edges.outgoing,
        incoming: [...edges.incoming].sort((x, y) => String(x.from).localeCompare(String(y.from))),
      });
      expect(sorted(b.edges(id))).toEqual(sorted(a.edges(id)));
    }
    for (let q = 0; q < 20; q++) {
      const query = row(data, dim, 1000 + q);
      const options = { k: 10, ef: 1000, track: false, halfLife: 30, now: Date.UTC(2026, 5, 1) };
      expect(await b.search(query, options)).toEqual(await a.search(query, options));
      expect(await b.search(query, { k: 5, namespace: 'ns1', filter: { odd: true }, track: false })).toEqual(
        await a.search(query, { k: 5, namespace: 'ns1', filter: { odd: true }, track: false }),
      );
    }
    const ns2 = [];
    for await (const r of a.export({ namespace: 'ns2' })) ns2.push(r);
    expect(ns2.length).toBe(a.count({ namespace: 'ns2' }));
    expect(ns2[0]).toEqual({
      id: 2,
      text: 'memory 2',
      namespace: 'ns2',
      entity: null,
      importance: 3,
      attributes: { i: 2, odd: false },
      timestamp: Date.UTC(2026, 0, 1) + 2000,
      recallCount: a.get(2)!.recallCount,
      lastRecalled: a.get(2)!.lastRecalled,
      links: [{ to: 's1', type: 'next', weight: 0.25 }],
    });
  });
});
