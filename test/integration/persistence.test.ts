import { copyFileSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeFileIo, readWal, StoreFileReader } from '@feather-db/core';
import { clusteredVectors, row, tempDir, tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError, type SearchHit } from 'feather-db';
import { afterAll, describe, expect, it } from 'vitest';

const open: Feather[] = [];
afterAll(async () => {
  await Promise.all(open.map((db) => db.close()));
});

async function opened(path: string, options?: Parameters<typeof Feather.open>[1]): Promise<Feather> {
  const db = await Feather.open(path, { threads: 2, ...options });
  open.push(db);
  return db;
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(FeatherError);
    return { code: (error as FeatherError).code, message: (error as FeatherError).message };
  }
  throw new Error('expected a FeatherError');
}

const dim = 16;
const data = clusteredVectors({ n: 1500, dim, seed: 61 });
const images = clusteredVectors({ n: 1500, dim: 8, seed: 62 });
const queries = clusteredVectors({ n: 20, dim, seed: 63 });
/** The clock of every search here: the memories are stamped from 2026-01-01, one day apart. */
const kNow = Date.UTC(2027, 0, 1);

/** Fills a store with everything it can hold: ids of both types, metadata, edges, two modalities, tombstones. */
async function fill(db: Feather): Promise<void> {
  const day = 86_400_000;
  await db.addBatch(data, {
    ids: Array.from({ length: 1500 }, (_, i) => (i % 3 === 0 ? `s${i}` : i)),
    metas: Array.from({ length: 1500 }, (_, i) => ({
      text: `memory ${i}`,
      namespace: `ns${i % 5}`,
      entity: i % 7 === 0 ? 'topic' : null,
      importance: 1 + (i % 4) / 2,
      attributes: { i, even: i % 2 === 0, tag: `t${i % 3}` },
      timestamp: Date.UTC(2026, 0, 1) + i * day,
    })),
  });
  for (let i = 1; i < 1500; i += 50) await db.add(row(images, 8, i), { id: i, modality: 'image' });
  await db.link(1, 2, { type: 'next', weight: 0.5 });
  await db.link('s3', 1);
  await db.forget([4, 5, 's6']);
  await db.update(10, { text: 'changed', importance: 3 });
  await db.search(row(data, dim, 20), { k: 3, namespace: 'ns0', now: kNow });
}

/** Everything observable: records, edges, counts, and search results of every kind. */
async function observe(db: Feather): Promise<unknown> {
  const strip = (hits: SearchHit[]): unknown => hits.map((h) => ({ ...h, recallCount: undefined, lastRecalled: undefined }));
  const searches: unknown[] = [];
  for (let q = 0; q < 20; q++) {
    const query = row(queries, dim, q);
    searches.push(strip(await db.search(query, { k: 10, track: false })));
    searches.push(strip(await db.search(query, { k: 5, namespace: `ns${q % 5}`, filter: { even: true }, track: false })));
    // A fixed clock inside the memories' time span: some are older than it, some newer (age 0).
    searches.push(strip(await db.search(query, { k: 5, halfLife: 30, timeWeight: 0.5, track: false, now: kNow })));
  }
  searches.push(strip(await db.search(row(images, 8, 51), { k: 3, modality: 'image', track: false })));
  const records = ['s0', 1, 2, 's3', 4, 10, 1499].map((id) => db.get(id));
  return {
    records,
    edges: [db.edges(1), db.edges('s3')],
    count: db.count(),
    namespaces: db.listNamespaces(),
    perNamespace: db.count({ namespace: 'ns1' }),
    last: db.getLast(),
    searches,
    vector: Array.from(db.getVector(7)!),
    image: Array.from(db.getVector(51, 'image')!),
  };
}

describe('the .feather file', () => {
  it('round-trips everything through the WAL, through save, and through a rebuilt graph, with identical results', async () => {
    const path = tempStorePath();
    const db = await opened(path, { dim, modalities: { image: { dim: 8, metric: 'l2' } } });
    await fill(db);
    const before = await observe(db);
    // fill()'s tracked search recalled memory 20 (its own vector, in its namespace): its count moved, and the
    // reopens below must keep it.
    expect(db.get(20)!.recallCount).toBe(1);
    const recallBefore = ['s0', 1, 2, 20, 21, 22].map((id) => db.get(id)?.recallCount);
    await db.close();
    expect(existsSync(`${path}.wal`)).toBe(true);

    // 1. Reopen: the file holds the empty store, the WAL every write.
    const fromWal = await opened(path);
    expect(fromWal.dim).toBe(dim);
    expect(await observe(fromWal)).toEqual(before);
    expect(['s0', 1, 2, 20, 21, 22].map((id) => fromWal.get(id)?.recallCount)).toEqual(recallBefore);
    expect((await fromWal.checkIntegrity()).problems).toEqual([]);
    const saved = await fromWal.save();
    expect(saved.bytes).toBe(statSync(path).size);
    await fromWal.close();

    // 2. Reopen from the saved file (persisted graph, empty WAL).
    const fromFile = await opened(path);
    expect(await observe(fromFile)).toEqual(before);
    expect(fromFile.stats().modalities['text'].tombstones).toBe(3);
    expect(fromFile.loadTimeMs).toBeGreaterThan(0);
    await fromFile.save(undefined, { graph: 'never' });
    await fromFile.close();

    // 3. Reopen a file saved without graphs: rebuilt in parallel, tight, same results.
    const rebuilt = await opened(path);
    expect(rebuilt.stats().modalities['text']).toMatchObject({ tombstones: 0, nodes: 1497 });
    expect(await observe(rebuilt)).toEqual(before);
    expect((await rebuilt.checkIntegrity()).ok).toBe(true);
  });

  it('keeps int8 storage, and copies with save(path) while staying bound to its own file', async () => {
    const path = tempStorePath();
    const db = await opened(path, { dim });
    await db.addBatch(data.subarray(0, 600 * dim));
    await db.setInt8Ram('text', { maxAbs: 4 });
    await db.add(row(data, dim, 700), { id: 'late' });
    const hits = await db.search(row(queries, dim, 0), { k: 10, track: false });
    const copy = join(tempDir(), 'copy.feather');
    await db.save(copy);
    await db.add(row(data, dim, 701), { id: 'after-copy' });
    await db.close();
    for (const p of [path, copy]) {
      const again = await opened(p);
      expect(again.stats().modalities['text'].storage).toBe('int8');
      expect(await again.search(row(queries, dim, 0), { k: 10, track: false })).toEqual(hits);
      expect(again.get('after-copy') === undefined).toBe(p === copy);
      await again.close();
    }
  });

  it('acknowledges writes under every durability mode: in the WAL file at once, or (none) only at close', async () => {
    for (const durability of ['fsync', 'os', 'none'] as const) {
      const path = tempStorePath();
      const db = await opened(path, { dim, durability });
      await Promise.all(Array.from({ length: 50 }, (_, i) => db.add(row(data, dim, i), { id: i })));
      // What a crash of this process would leave: 'fsync' and 'os' have written every acknowledged write to the
      // WAL (what sets those two apart, fdatasync, shows only on power loss: test/crash/io-faults.test.ts,
      // "loses unsynced writes on power loss"); 'none' has written nothing yet.
      const logged = readWal(nodeFileIo(), `${path}.wal`).records.length;
      expect(logged, durability).toBe(durability === 'none' ? 0 : 50);
      await db.close();
      const again = await opened(path);
      expect(again.count(), durability).toBe(50);
      await again.close();
    }
  });

  it('saves by itself once the WAL passes autoSaveWalBytes, keeping the WAL bounded', async () => {
    const path = tempStorePath();
    const db = await opened(path, { dim, autoSaveWalBytes: 16_384 });
    for (let i = 0; i < 200; i++) await db.add(row(data, dim, i), { id: i, text: `note ${i}` });
    await db.close();
    // Each add logs ~150 bytes: without the automatic saves the WAL would hold ~30 KB.
    expect(statSync(`${path}.wal`).size).toBeLessThan(16_384 + 1024);
    expect(statSync(path).size).toBeGreaterThan(10_000);
    const again = await opened(path);
    expect(again.count()).toBe(200);
    expect(again.get(199)!.text).toBe('note 199');
    await again.close();
  });

  it('locks out a second writer, shares with readOnly, and refuses writes there', async () => {
    const path = tempStorePath();
    const db = await opened(path, { dim });
    await db.add(row(data, dim, 0), { id: 'x' });
    const second = await errorOf(Feather.open(path, { dim }));
    expect(second.code).toBe('FEATHER_ERR_LOCKED');
    expect(second.message).toContain(`process ${process.pid}`);
    const reader = await opened(path, { readOnly: true });
    expect(reader.get('x')).toBeDefined();
    expect((await errorOf(reader.add(row(data, dim, 1)))).code).toBe('FEATHER_ERR_READ_ONLY');
    expect((await errorOf(reader.save())).code).toBe('FEATHER_ERR_READ_ONLY');
    await reader.close();
    await db.close();
    // The lock goes with the writer.
    const next = await opened(path);
    expect(next.count()).toBe(1);
    await next.close();
    expect((await errorOf(Feather.open(tempStorePath(), { readOnly: true }))).code).toBe('FEATHER_ERR_NOT_FOUND');
  });

  it('takes over a lock whose pid now belongs to another process, and honours one whose holder still runs', async () => {
    const path = tempStorePath();
    await (await opened(path, { dim })).close();
    // This process's start time, as the lock records it (Linux: field 22 of /proc/<pid>/stat).
    const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const holder = (content: object): void => writeFileSync(`${path}.lock`, JSON.stringify(content));
    // A live pid with another start time: the crashed holder's pid was given to a later process.
    holder({ pid: process.pid, start: start + 1 });
    const db = await opened(path);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, start });
    await db.close();
    holder({ pid: process.pid, start });
    expect((await errorOf(Feather.open(path))).code).toBe('FEATHER_ERR_LOCKED');
    // A lock without a start time (an older writer's) is judged by its pid alone.
    holder({ pid: process.pid });
    expect((await errorOf(Feather.open(path))).code).toBe('FEATHER_ERR_LOCKED');
    unlinkSync(`${path}.lock`);
  });

  it('fails at open on dim, metric or model mismatch and on foreign, newer, truncated or damaged files', async () => {
    const path = tempStorePath();
    const db = await opened(path, { dim, embeddingModel: 'minilm-l6' });
    expect(db.embeddingModel).toBe('minilm-l6');
    await db.add(row(data, dim, 0));
    await db.save();
    await db.close();
    const reopened = await opened(path, { readOnly: true });
    expect(reopened.embeddingModel).toBe('minilm-l6');
    await reopened.close();
    expect((await errorOf(Feather.open(path, { dim: dim + 1 }))).code).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
    expect((await errorOf(Feather.open(path, { dim, metric: 'l2' }))).code).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
    expect((await errorOf(Feather.open(path, { embeddingModel: 'other' }))).code).toBe('FEATHER_ERR_DIMENSION_MISMATCH');
    const good = readFileSync(path);
    const variant = async (bytes: Uint8Array): Promise<{ code: string; message: string }> => {
      const p = tempStorePath();
      writeFileSync(p, bytes);
      return errorOf(Feather.open(p));
    };
    expect((await variant(new TextEncoder().encode('{"not": "a store"}'))).code).toBe('FEATHER_ERR_CORRUPT');
    const newer = Uint8Array.from(good);
    newer[8] = 9;
    expect((await variant(newer)).code).toBe('FEATHER_ERR_FORMAT_VERSION');
    const truncated = await variant(good.subarray(0, good.length - 10));
    expect(truncated.code).toBe('FEATHER_ERR_CORRUPT');
    expect(truncated.message).toMatch(/truncated/);
    const flipped = Uint8Array.from(good);
    flipped[good.length >> 1] ^= 0x10;
    expect((await variant(flipped)).code).toBe('FEATHER_ERR_CORRUPT');
    // COLUMNS (section type 4) is read in two parts, the columns and from the id blob on; its checksum covers both.
    const file = StoreFileReader.open(nodeFileIo(), path);
    const columns = file.find(4)!;
    file.close();
    for (const at of [columns.offset + 64, columns.offset + columns.length - 1]) {
      const damaged = Uint8Array.from(good);
      damaged[at] ^= 0x01;
      const error = await variant(damaged);
      expect(error.code, `byte ${at - columns.offset} of COLUMNS`).toBe('FEATHER_ERR_CORRUPT');
      expect(error.message).toMatch(/section type 4 \(tag 0\) checksum mismatch/);
    }
    // The original still opens after all that.
    copyFileSync(path, `${path}.bak`);
    const again = await opened(path);
    expect(again.count()).toBe(1);
  });
});
