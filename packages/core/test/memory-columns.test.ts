// The memory model's COLUMNS round trip (what a save writes and an open copies back): every field of every
// kind of record, holes left by forgets, lazily built scopes and postings, and writes on a loaded model.
import { FeatherError } from '../src/errors.js';
import { MemoryModel } from '../src/records/memory-model.js';
import { modelColumns, modelFromColumns } from '../src/records/model-codec.js';
import type { UpsertItem } from '../src/records/types.js';
import { seededRandom, suiteSeed } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { reload } from './helpers.js';

function sample(): MemoryModel {
  const m = new MemoryModel();
  const items: UpsertItem[] = [
    { id: 0, modality: 'text', text: 'plain', namespace: 'a', attributes: { color: 'red', n: 1, ok: true } },
    { id: 'ünïcødé-🙂', modality: 'text', text: 'naïve café 🙂', namespace: 'b', entity: 'topic', importance: 2.5, timestamp: 1234 },
    { id: '1', modality: 'image', text: '', namespace: 'a', entity: 'topic', attributes: { n: '1' } },
    { id: 2 ** 40 + 3, modality: 'text', namespace: 'a', attributes: { color: 'red', n: 1.5 } },
    { id: 'gone', modality: 'text', namespace: 'b' },
  ];
  m.upsert(items, 1_000);
  m.upsert([{ id: '1', modality: 'text' }], 2_000);
  m.forget(['gone']);
  m.link(0, 'ünïcødé-🙂', 'cites', 0.5);
  m.link('1', 0, 'follows', 2);
  m.touch([1, 1, 3], 5_000);
  return m;
}

describe('memory model columns', () => {
  it('read back every loaded string as written: ASCII and not, at and past the short-string bound', () => {
    const texts = [
      '',
      'a',
      'x'.repeat(31),
      'y'.repeat(32),
      'z'.repeat(33),
      'é',
      'ab\u007f',
      `${'q'.repeat(30)}é`,
      '日本語',
      '🙂'.repeat(9),
      'long '.repeat(400),
    ];
    const m = new MemoryModel();
    m.upsert(
      texts.map((text, i) => ({ id: `${text.slice(0, 40)}#${i}`, modality: 'text', text })),
      1_000,
    );
    const loaded = reload(m);
    texts.forEach((text, i) => {
      const id = `${text.slice(0, 40)}#${i}`;
      const row = loaded.rowOf(id)!;
      expect(loaded.record(row)).toMatchObject({ id, text });
    });
    // A record's modalities are its set, shared and frozen.
    expect(Object.isFrozen(loaded.record(0)!.modalities)).toBe(true);
    expect(loaded.record(0)!.modalities).toBe(loaded.record(1)!.modalities);
  });

  it('round-trip every field, hole, edge and dictionary id', () => {
    const m = sample();
    const loaded = reload(m);
    expect(loaded.toSnapshot()).toEqual(m.toSnapshot());
    expect(loaded.size).toBe(4);
    expect(loaded.rowLimit).toBe(5);
    expect(loaded.rowOf('ünïcødé-🙂')).toBe(1);
    expect(loaded.rowOf(1)).toBeUndefined();
    expect(loaded.rowOf('1')).toBe(2);
    expect(loaded.rowOf('gone')).toBeUndefined();
    expect(loaded.record(1)).toMatchObject({
      text: 'naïve café 🙂',
      entity: 'topic',
      importance: 2.5,
      timestamp: 1234,
      recallCount: 2,
      lastRecalled: 5_000,
    });
    expect(loaded.record(2)!.modalities).toEqual(['image', 'text']);
    expect(loaded.modalityCount('text')).toBe(4);
    expect(loaded.modalityCount('image')).toBe(1);
    expect(loaded.peekAutoId()).toBe(2 ** 40 + 4);
    expect([...loaded.postings('color', 'red')]).toEqual([0, 3]);
    expect([...loaded.postings('n', 1)]).toEqual([0]);
    expect([...loaded.postings('n', '1')]).toEqual([2]);
    expect([...loaded.scopeRows(loaded.namespaceId('a'), loaded.entityId('topic'))]).toEqual([2]);
    expect(loaded.listNamespaces()).toEqual(['a', 'b']);
    expect(loaded.edgesOf(0)).toEqual(m.edgesOf(0));
  });

  it('keep accepting writes after a load, the same as the model they came from', () => {
    const m = sample();
    const loaded = reload(m);
    // Touch the lazily built postings first on one side only: the results must not depend on when they build.
    expect(loaded.postings('color', 'red').size).toBe(2);
    const writes = (x: MemoryModel): void => {
      const many: UpsertItem[] = Array.from({ length: 300 }, (_, i) => ({
        id: `k${i}`,
        modality: 'text',
        namespace: i % 2 === 0 ? 'a' : 'c',
        attributes: { color: i % 3 === 0 ? 'red' : 'blue', i },
      }));
      x.upsert(many, 3_000);
      x.update(0, { attributes: { color: 'blue' }, text: 'changed' });
      x.upsert([{ id: 'ünïcødé-🙂', namespace: 'c', entity: null }], 4_000);
      x.forget(['k8', 2 ** 40 + 3]);
      for (let round = 0; round < 5; round++) for (let i = 0; i < 300; i += 7) x.update(`k${i}`, { attributes: { color: 'green', round } });
    };
    writes(m);
    writes(loaded);
    expect(loaded.toSnapshot()).toEqual(m.toSnapshot());
    for (const [key, value] of [
      ['color', 'red'],
      ['color', 'blue'],
      ['color', 'green'],
      ['round', 4],
      ['i', 5],
    ] as const) {
      expect([...loaded.postings(key, value)].sort((a, b) => a - b)).toEqual([...m.postings(key, value)].sort((a, b) => a - b));
    }
    expect(loaded.count('c')).toBe(m.count('c'));
    expect(reload(loaded).toSnapshot()).toEqual(m.toSnapshot());
  });

  it('share one COLUMNS read in shared memory between two models that never write it: each copies on its first write', () => {
    const m = sample();
    const parts = modelColumns(m);
    const bytes = new Uint8Array(new SharedArrayBuffer(parts.reduce((n, p) => n + p.length, 0)));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    const read = bytes.slice();
    const loaded = modelFromColumns(read, m.edgeList()).toSnapshot();
    // Each kind of write, first after the load; a model's first write is what must copy.
    const writes: ((x: MemoryModel) => void)[] = [
      (x) => x.touch([0, 1], 9_000),
      (x) => x.apply({ type: 'recall', rows: [2], counts: [7], lasts: [8_000] }),
      (x) => x.update(0, { importance: 4, entity: 'z', attributes: { color: 'blue' }, text: 'changed' }),
      (x) => x.forget(['ünïcødé-🙂', 0]),
      // Into a forgotten row (in place: no column grows), then past the end.
      (x) => x.upsert([{ id: 'reused', modality: 'text', row: 4, namespace: 'a', attributes: { n: 9 } }], 10_000),
      (x) => x.upsert([{ id: 'appended', modality: 'image', namespace: 'q' }], 11_000),
    ];
    writes.forEach((write, i) => {
      // As an open builds them: the mirror with every check, the writer's model vouched for.
      const mirror = modelFromColumns(bytes, m.edgeList());
      const writer = modelFromColumns(bytes, m.edgeList(), true);
      const alone = modelFromColumns(read.slice(), m.edgeList());
      write(mirror);
      write(alone);
      expect(bytes, `write ${i}`).toEqual(read);
      expect(writer.toSnapshot(), `write ${i}`).toEqual(loaded);
      expect(mirror.toSnapshot(), `write ${i}`).toEqual(alone.toSnapshot());
      write(writer);
      expect(writer.toSnapshot(), `write ${i}`).toEqual(alone.toSnapshot());
      expect(bytes, `write ${i}`).toEqual(read);
    });
    // All of them, one after another, in both.
    const mirror = modelFromColumns(bytes, m.edgeList());
    const writer = modelFromColumns(bytes, m.edgeList(), true);
    for (const x of [mirror, writer, m]) for (const write of writes) write(x);
    expect(bytes).toEqual(read);
    expect(mirror.toSnapshot()).toEqual(m.toSnapshot());
    expect(writer.toSnapshot()).toEqual(m.toSnapshot());
    expect(reload(writer).toSnapshot()).toEqual(m.toSnapshot());
  });

  it('refuse a section whose sizes or references are not what a save writes', () => {
    const parts = modelColumns(sample());
    const bytes = Uint8Array.from(parts.flatMap((p) => [...p]));
    const expectCorrupt = (b: Uint8Array): void => {
      try {
        modelFromColumns(b, []);
        expect.unreachable('loaded a damaged section');
      } catch (error) {
        expect(error).toBeInstanceOf(FeatherError);
        expect((error as FeatherError).code).toBe('FEATHER_ERR_CORRUPT');
      }
    };
    expectCorrupt(bytes.subarray(0, bytes.length - 1));
    const rows = new DataView(bytes.buffer).getUint32(4, true);
    const align8 = (x: number): number => (x + 7) & ~7;
    const namespaceColumn = 64 + align8(rows) + rows * 8 + align8(rows * 4);
    const badNamespace = bytes.slice();
    new DataView(badNamespace.buffer).setUint32(namespaceColumn, 99, true);
    expectCorrupt(badNamespace);
    // The saved id table pointing at a forgotten row (row 4, 'gone'): refused, not trusted.
    const idTable = bytes.slice();
    const view = new DataView(idTable.buffer);
    const slots = view.getUint32(36, true);
    const pool = view.getUint32(12, true);
    const tableAt = 64 + align8(rows) + 5 * rows * 8 + align8(rows * 4) * 6 + align8(pool * 4) + 2 * align8((rows + 1) * 4);
    let slot = 0;
    while (view.getInt32(tableAt + slot * 4, true) <= 0) slot++;
    expect(slot).toBeLessThan(slots);
    view.setInt32(tableAt + slot * 4, 5, true);
    expectCorrupt(idTable);
  });

  it('refuse each field a save never writes, in any row', () => {
    const parts = modelColumns(sample());
    const bytes = Uint8Array.from(parts.flatMap((p) => [...p]));
    const head = new DataView(bytes.buffer);
    const [n, pool, idBytes, textBytes, slots] = [
      head.getUint32(4, true),
      head.getUint32(12, true),
      head.getUint32(24, true),
      head.getUint32(28, true),
      head.getUint32(36, true),
    ];
    const align8 = (x: number): number => (x + 7) & ~7;
    // Column offsets in layout order (docs/format.md, COLUMNS).
    const sizes = [
      n,
      n * 8,
      n * 4,
      n * 4,
      n * 4,
      n * 8,
      n * 8,
      n * 8,
      n * 8,
      n * 4,
      n * 4,
      pool * 4,
      (n + 1) * 4,
      (n + 1) * 4,
      slots * 4,
      idBytes,
      textBytes,
    ];
    const names = [
      'flags',
      'idNum',
      'idHash',
      'namespace',
      'entity',
      'importance',
      'timestamp',
      'recallCount',
      'lastRecalled',
      'modalitySet',
      'attrCount',
      'attrPool',
      'idOffsets',
      'textOffsets',
      'idTable',
    ];
    const at: Record<string, number> = {};
    sizes.reduce((offset, size, i) => {
      at[names[i] ?? `blob${i}`] = offset;
      return offset + align8(size);
    }, 64);
    expect(modelFromColumns(bytes, []).count()).toBe(4);
    const damaged = (column: string, row: number, set: (v: DataView, offset: number) => void): Uint8Array => {
      const copy = bytes.slice();
      set(
        new DataView(copy.buffer),
        at[column] +
          row * (column === 'flags' ? 1 : ['idNum', 'importance', 'timestamp', 'recallCount', 'lastRecalled'].includes(column) ? 8 : 4),
      );
      return copy;
    };
    const f64 = (value: number) => (v: DataView, o: number) => v.setFloat64(o, value, true);
    const u32 = (value: number) => (v: DataView, o: number) => v.setUint32(o, value, true);
    // Row 0: numeric id 0; row 1: a string id; row 4: forgotten ('gone').
    const cases: [string, number, (v: DataView, o: number) => void][] = [
      ['flags', 0, (v, o) => v.setUint8(o, 5)],
      ['flags', 1, (v, o) => v.setUint8(o, 1)],
      ['flags', 0, (v, o) => v.setUint8(o, 3)],
      ['idNum', 0, f64(-1)],
      ['idNum', 0, f64(1.5)],
      ['idNum', 0, f64(Number.NaN)],
      ['namespace', 1, u32(7)],
      ['entity', 1, u32(9)],
      ['modalitySet', 0, u32(40)],
      ['importance', 0, f64(-0.5)],
      ['importance', 1, f64(Number.POSITIVE_INFINITY)],
      ['importance', 1, f64(Number.NaN)],
      ['timestamp', 0, f64(Number.NEGATIVE_INFINITY)],
      ['timestamp', 1, f64(Number.NaN)],
      ['recallCount', 1, f64(2.5)],
      ['recallCount', 0, f64(-1)],
      ['lastRecalled', 1, f64(Number.POSITIVE_INFINITY)],
      ['attrCount', 4, u32(1)],
      ['attrPool', 0, u32(1000)],
      ['idOffsets', 2, u32(0)],
      ['textOffsets', 1, u32(1_000_000)],
    ];
    for (const [column, row, set] of cases) {
      expect(() => modelFromColumns(damaged(column, row, set), []), `${column}[${row}]`).toThrowError(FeatherError);
    }
    // A never-recalled row keeps NaN; a row may be recalled at time 0: both load.
    expect(modelFromColumns(damaged('lastRecalled', 0, f64(0)), []).count()).toBe(4);
    // (The offsets above are the real ones: a valid change shows up in the record.)
    expect(modelFromColumns(damaged('importance', 0, f64(3)), []).record(0)?.importance).toBe(3);
    // The id table holding a live row twice (another live row then missing).
    const table = new Int32Array(bytes.slice(at.idTable, at.idTable + slots * 4).buffer);
    const held = [...table.keys()].filter((i) => table[i] > 0);
    const twice = bytes.slice();
    new DataView(twice.buffer).setInt32(at.idTable + held[1] * 4, table[held[0]], true);
    expect(() => modelFromColumns(twice, [])).toThrowError(/id table/);
  });

  it('count each namespace through adds, moves and forgets, whenever first asked, and after a load', () => {
    const seed = suiteSeed('namespace-counts');
    const rand = seededRandom(seed);
    const m = new MemoryModel();
    const where = new Map<number, string>();
    const expectCounts = (model: MemoryModel): void => {
      const expected = new Map<string, number>();
      for (const ns of where.values()) expected.set(ns, (expected.get(ns) ?? 0) + 1);
      expect(model.listNamespaces()).toEqual([...expected.keys()].sort());
      for (const ns of ['n0', 'n1', 'n2', 'n3', 'n4', 'never']) expect([ns, model.count(ns)]).toEqual([ns, expected.get(ns) ?? 0]);
    };
    for (let step = 0; step < 3_000; step++) {
      const id = Math.floor(rand() * 400);
      if (where.has(id) && rand() < 0.3) {
        m.forget([id]);
        where.delete(id);
      } else {
        const namespace = `n${Math.floor(rand() * 5)}`;
        m.upsert([{ id, modality: 'text', namespace, ...(rand() < 0.3 ? { entity: `e${id % 3}` } : {}) }], 1_000 + step);
        where.set(id, namespace);
      }
      // The first count comes after a few hundred writes, then now and then.
      if (step === 500 || (step > 500 && rand() < 0.01)) expectCounts(m);
    }
    expectCounts(m);
    expectCounts(reload(m));
  });
});
