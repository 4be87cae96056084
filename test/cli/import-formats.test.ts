// `feather import` from every format, bad lines included: inserted + skipped + failed always equals the rows read.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusteredVectors, row, tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { parquetWriteFile } from 'hyparquet-writer';
import { describe, expect, it } from 'vitest';
import { jsonOf, runCli } from './run-cli.js';

interface Summary {
  created: boolean;
  sources: {
    name: string;
    read: number;
    inserted: number;
    updated: number;
    skipped: number;
    failed: number;
    links: { added: number; failed: number };
  }[];
  totals: { read: number; inserted: number; skipped: number; failed: number };
  failures: { source: string; row: number; code: string; message: string }[];
  saved: { bytes: number } | null;
}

const dim = 8;
const data = clusteredVectors({ n: 500, dim, seed: 1601 });
const vec = (i: number): number[] => Array.from(row(data, dim, i));

/** A .npy file (format 1.0) of `rows` × dim values as float32 ('<f4') or float64 ('<f8'). */
function writeNpy(path: string, values: Float32Array | Float64Array, rows: number): void {
  const descr = values instanceof Float32Array ? '<f4' : '<f8';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${rows}, ${values.length / rows}), }`;
  header = header.padEnd(64 - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(
    path,
    Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(values.buffer, values.byteOffset, values.byteLength)]),
  );
}

async function opened(path: string): Promise<Feather> {
  return Feather.open(path, { readOnly: true, threads: 1 });
}

describe('feather import', () => {
  it('JSONL: good rows go in, bad lines are counted and named by line; a re-run skips what is stored', async () => {
    const dir = tempDir();
    const store = join(dir, 's.feather');
    // Rows without an id get `data.jsonl:<row>`; every 50th names its own, and the rest link to the row before.
    const id = (i: number): string => (i % 50 === 0 ? `r${i}` : `data.jsonl:${i + 1}`);
    const lines = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        id: i % 50 === 0 ? id(i) : undefined,
        vector: vec(i),
        text: `row ${i}`,
        namespace: `ns${i % 3}`,
        timestamp: Date.UTC(2026, 0, 1) + i,
        links: i > 0 ? [{ to: id(i - 1), type: 'next' }] : undefined,
      }),
    );
    // Bad lines at the end, so that rows keep their numbers (a bad line in the middle is a row too).
    lines.push('{"vector": [1, 2,', JSON.stringify({ vector: [1, 2, 3] }), JSON.stringify({ vector: vec(0), colour: 'red' }));
    lines.splice(300, 0, '');
    writeFileSync(join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
    const first = await runCli(['import', store, join(dir, 'data.jsonl'), '--json', '--errors', join(dir, 'errors.jsonl')]);
    expect(first.code, first.stderr).toBe(1);
    const s = jsonOf<Summary>(first);
    expect(s.created).toBe(true);
    expect(s.totals).toMatchObject({ read: 303, inserted: 300, skipped: 0, failed: 3 });
    expect(s.failures.map((f) => [f.row, f.code])).toEqual([
      [301, 'FEATHER_ERR_INVALID_ARGUMENT'],
      [302, 'FEATHER_ERR_DIMENSION_MISMATCH'],
      [303, 'FEATHER_ERR_INVALID_ARGUMENT'],
    ]);
    // Rows are numbered without the blank line; the parse error names the file line.
    expect(s.failures[0].message).toMatch(/^line 302 of data\.jsonl is not JSON/);
    expect(s.failures[2].message).toBe(
      'row 303.colour is not a known option; expected one of text, namespace, entity, importance, attributes, timestamp, recallCount, lastRecalled, vector, vectors, id, links',
    );
    expect(s.sources[0].links).toEqual({ added: 299, failed: 0 });
    expect(s.saved?.bytes).toBeGreaterThan(0);
    expect(first.stderr).toContain('data.jsonl row 302: FEATHER_ERR_DIMENSION_MISMATCH: row 302.vector must have 8 dimensions, got 3');
    expect(
      readFileSync(join(dir, 'errors.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { row: number }).row),
    ).toEqual([301, 302, 303]);
    const db = await opened(store);
    expect(db.count()).toBe(300);
    expect(db.get('data.jsonl:299')).toMatchObject({ text: 'row 298', namespace: 'ns1', timestamp: Date.UTC(2026, 0, 1) + 298 });
    expect(db.edges('data.jsonl:299').outgoing).toEqual([{ from: 'data.jsonl:299', to: 'data.jsonl:298', type: 'next', weight: 1 }]);
    expect(db.edges('r250').outgoing).toEqual([{ from: 'r250', to: 'data.jsonl:250', type: 'next', weight: 1 }]);
    await db.close();
    const again = await runCli(['import', store, join(dir, 'data.jsonl'), '--json', '--quiet']);
    expect(again.stderr).toBe('');
    expect(jsonOf<Summary>(again).totals).toMatchObject({ read: 303, inserted: 0, skipped: 300, failed: 3 });
  });

  it('CSV and TSV: a header row, vectors as JSON or ;-separated, other columns as attributes, quoted fields', async () => {
    const dir = tempDir();
    const store = join(dir, 's.feather');
    const csv = [
      'id,text,namespace,vector,source,importance,timestamp',
      `a,"hello, world",ns1,"${JSON.stringify(vec(1)).replace(/"/g, '""')}",chat,2,2026-01-02T00:00:00Z`,
      `7,"two\nlines",ns1,${vec(2).join(';')},mail,,1767312000000`,
      `b,short row,ns1`,
      `c,bad vector,ns1,1;2;x;4;5;6;7;8,chat,1,`,
      `d,bad importance,ns2,${vec(3).join(';')},chat,high,`,
      `e,,ns2,${vec(4).join(';')},,,`,
    ].join('\n');
    writeFileSync(join(dir, 'data.csv'), csv);
    writeFileSync(join(dir, 'more.tsv'), `id\tvector\ttag\nt1\t${vec(5).join(';')}\tx\nt2\tnot-a-vector\ty\n`);
    const result = await runCli(['import', store, join(dir, 'data.csv'), join(dir, 'more.tsv'), '--json']);
    expect(result.code, result.stderr).toBe(1);
    const s = jsonOf<Summary>(result);
    expect(s.sources.map((x) => [x.name, x.read, x.inserted, x.failed])).toEqual([
      ['data.csv', 6, 3, 3],
      ['more.tsv', 2, 1, 1],
    ]);
    expect(s.failures.map((f) => f.message)).toEqual([
      // The quoted field with a line break makes line numbers and row numbers differ.
      'line 5 of data.csv has 3 fields, the header has 7',
      'line 6 of data.csv, column vector must be numbers only (a JSON array, or numbers separated by ;), got "1;2;x;4;5;6;7;8"',
      'line 7 of data.csv, column importance must be a number, got "high"',
      'line 3 of more.tsv, column vector must be numbers only (a JSON array, or numbers separated by ;), got "not-a-vector"',
    ]);
    const db = await opened(store);
    expect(db.get('a')).toMatchObject({
      text: 'hello, world',
      namespace: 'ns1',
      importance: 2,
      attributes: { source: 'chat' },
      timestamp: Date.UTC(2026, 0, 2),
    });
    expect(db.get(7)).toMatchObject({ text: 'two\nlines', attributes: { source: 'mail' }, timestamp: 1767312000000 });
    expect(db.get('e')).toMatchObject({ text: '', namespace: 'ns2', attributes: {} });
    expect(db.get('t1')?.attributes).toEqual({ tag: 'x' });
    await db.close();
  });

  it('.npy float32 and float64 with a JSONL of metadata by row; a new store takes its dim from the matrix', async () => {
    const dir = tempDir();
    const store = join(dir, 's.feather');
    writeNpy(join(dir, 'v.npy'), data.subarray(0, 100 * dim), 100);
    const meta = Array.from({ length: 100 }, (_, i) =>
      i === 5
        ? '{"text": oops'
        : i === 6
          ? JSON.stringify({ vector: [1] })
          : i === 7
            ? ''
            : JSON.stringify({ text: `m${i}`, namespace: 'npy' }),
    );
    writeFileSync(join(dir, 'v.meta.jsonl'), `${meta.join('\n')}\n`);
    const r32 = await runCli(['import', store, join(dir, 'v.npy'), '--meta', join(dir, 'v.meta.jsonl'), '--json']);
    expect(r32.code, r32.stderr).toBe(1);
    expect(jsonOf<Summary>(r32).totals).toMatchObject({ read: 100, inserted: 98, failed: 2 });
    expect(jsonOf<Summary>(r32).failures.map((f) => f.message)).toEqual([
      expect.stringMatching(/^line 6 of v\.meta\.jsonl is not JSON/) as string,
      'line 7 of v.meta.jsonl has a vector: the vector of row 7 comes from v.npy',
    ]);
    const f64 = new Float64Array(data.subarray(100 * dim, 150 * dim));
    writeNpy(join(dir, 'w.npy'), f64, 50);
    const r64 = await runCli(['import', store, join(dir, 'w.npy'), '--json']);
    expect(r64.code, r64.stderr).toBe(0);
    expect(jsonOf<Summary>(r64).totals).toMatchObject({ read: 50, inserted: 50, failed: 0 });
    writeFileSync(join(dir, 'bad.npy'), 'not numpy at all');
    const bad = await runCli(['import', store, join(dir, 'bad.npy')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^feather: FEATHER_ERR_INVALID_ARGUMENT: bad\.npy is not a readable \.npy matrix: no \\x93NUMPY magic/);
    const db = await opened(store);
    expect(db.dim).toBe(dim);
    expect(db.get('v.npy:1')).toMatchObject({ text: 'm0', namespace: 'npy' });
    expect(db.get('v.npy:8')).toMatchObject({ text: '', namespace: 'default' });
    expect(db.count()).toBe(148);
    await db.close();
  });

  it('Parquet: typed columns, a list column as the vector, row groups streamed', async () => {
    const dir = tempDir();
    const store = join(dir, 's.feather');
    const n = 120;
    parquetWriteFile({
      filename: join(dir, 'data.parquet'),
      columnData: [
        { name: 'id', data: Array.from({ length: n }, (_, i) => `p${i}`), type: 'STRING' },
        { name: 'text', data: Array.from({ length: n }, (_, i) => `parquet ${i}`), type: 'STRING' },
        { name: 'vector', data: Array.from({ length: n }, (_, i) => (i === 3 ? [1, 2] : vec(i))) },
        { name: 'score', data: Array.from({ length: n }, (_, i) => i / 2), type: 'DOUBLE' },
        { name: 'flag', data: Array.from({ length: n }, (_, i) => i % 2 === 0), type: 'BOOLEAN' },
      ],
      rowGroupSize: 50,
    });
    const result = await runCli(['import', store, join(dir, 'data.parquet'), '--json']);
    expect(result.code, result.stderr).toBe(1);
    expect(jsonOf<Summary>(result).totals).toMatchObject({ read: n, inserted: n - 1, failed: 1 });
    const db = await opened(store);
    expect(db.get('p10')).toMatchObject({ text: 'parquet 10', attributes: { score: 5, flag: true } });
    expect(Array.from(db.getVector('p10')!).length).toBe(dim);
    await db.close();
  });

  it('reads JSONL from stdin, and refuses what it cannot import with one line and exit 2', async () => {
    const dir = tempDir();
    const store = join(dir, 's.feather');
    const input = `${JSON.stringify({ id: 'x', vector: vec(1) })}\n${JSON.stringify({ id: 'y', vector: vec(2) })}\n`;
    const piped = await runCli(['import', store, '-', '--json'], { input });
    expect(piped.code, piped.stderr).toBe(0);
    expect(jsonOf<Summary>(piped).sources[0]).toMatchObject({ name: 'stdin', inserted: 2 });
    const missing = await runCli(['import', store, join(dir, 'nope.jsonl')]);
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({
      code: 2,
      stderr: `feather: FEATHER_ERR_NOT_FOUND: source ${join(dir, 'nope.jsonl')} does not exist\n`,
    });
    writeFileSync(join(dir, 'x.txt'), '');
    expect((await runCli(['import', store, join(dir, 'x.txt')])).stderr).toMatch(
      /^feather: FEATHER_ERR_INVALID_ARGUMENT: cannot tell the format of .*x\.txt/,
    );
    const textOnly = join(dir, 'texts.jsonl');
    writeFileSync(textOnly, `${JSON.stringify({ text: 'no vector' })}\n`);
    const noDim = await runCli(['import', join(dir, 'new.feather'), textOnly, '--embed', 'none']);
    expect(noDim.code).toBe(2);
    expect(noDim.stderr).toMatch(/FEATHER_ERR_INVALID_ARGUMENT: cannot tell the dimension of the new store/);
    const usage = await runCli(['import', store, '--on-existing', 'replace', join(dir, 'x.jsonl')]);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/^feather: usage: option '--on-existing <mode>' argument 'replace' is invalid/);
  });
});
