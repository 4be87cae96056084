// info, verify, stats, search, compact and the command's conventions (--json, --help, exit codes, one-line errors).
import { copyFileSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusteredVectors, row, tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { jsonOf, runCli } from './run-cli.js';

const dim = 8;
const data = clusteredVectors({ n: 400, dim, seed: 1602 });
let dir: string;
let good: string;

interface VerifyReport {
  status: string;
  problems: string[];
  error?: { code: string; message: string; section?: string };
  memories?: number;
}

interface InfoReport {
  file?: {
    format: { major: number };
    sections: { name: string; modality: string | null; offset: number; length: number; checksum: string }[];
    modalities: { name: string; dim: number }[];
  };
  checksumsVerified: boolean;
  store?: {
    memories: number;
    namespaces: Record<string, number>;
    modalities: Record<string, { nodes: number; tombstones: number }>;
    loadTimeMs: number;
  };
  error?: { code: string; section?: string };
}

beforeAll(async () => {
  dir = tempDir();
  good = join(dir, 'good.feather');
  const db = await Feather.open(good, { dim, threads: 2, modalities: { image: { dim: 4 } } });
  await db.addBatch(data, {
    ids: Array.from({ length: 400 }, (_, i) => `m${i}`),
    metas: Array.from({ length: 400 }, (_, i) => ({
      text: `memory ${i}`,
      namespace: i < 100 ? 'alpha' : 'beta',
      attributes: { even: i % 2 === 0 },
    })),
  });
  await db.add([1, 2, 3, 4], { id: 'm1', modality: 'image' });
  await db.forget(['m398', 'm399']);
  await db.save();
  await db.close();
});

/** A copy of the good store with `bytes` written at `offset`. */
function damaged(name: string, offset: number, bytes: number[]): string {
  const path = join(dir, name);
  copyFileSync(good, path);
  const fd = openSync(path, 'r+');
  writeSync(fd, Uint8Array.from(bytes), 0, bytes.length, offset);
  closeSync(fd);
  return path;
}

describe('feather info and verify', () => {
  it('describe a good store: header, sections with checksums, counts per namespace, modalities, load time', async () => {
    const verify = await runCli(['verify', good, '--json']);
    expect(verify.code).toBe(0);
    expect(jsonOf<VerifyReport>(verify)).toMatchObject({ status: 'ok', problems: [], memories: 398 });
    expect((await runCli(['verify', good])).stdout).toMatch(/^OK {2}.*good\.feather: \d+ sections and the WAL check out; 398 memories/);
    const info = await runCli(['info', good, '--json']);
    expect(info.code).toBe(0);
    const r = jsonOf<InfoReport>(info);
    expect(r.checksumsVerified).toBe(true);
    expect(r.file?.format.major).toBe(3);
    expect(r.file?.modalities).toEqual([
      { name: 'text', dim, metric: 'cosine' },
      { name: 'image', dim: 4, metric: 'cosine' },
    ]);
    expect(r.file?.sections.map((s) => `${s.name}${s.modality === null ? '' : `:${s.modality}`}`)).toEqual(
      expect.arrayContaining([
        'STORE_META',
        'COLUMNS',
        'EDGES',
        'GRAPH_HEADER:text',
        'NODES:text',
        'ROWMAP:text',
        'GRAPH_HEADER:image',
        'NODES:image',
      ]),
    );
    expect(r.file?.sections.every((s) => /^[0-9a-f]{8}$/.test(s.checksum))).toBe(true);
    expect(r.store).toMatchObject({
      memories: 398,
      namespaces: { alpha: 100, beta: 298 },
      modalities: { text: { nodes: 400, tombstones: 2 }, image: { nodes: 1, tombstones: 0 } },
    });
    expect(r.store!.loadTimeMs).toBeGreaterThan(0);
    const human = (await runCli(['info', good])).stdout;
    expect(human).toContain('checksums verified');
    expect(human).toMatch(/alpha: 100\n {4}beta: 298/);
  });

  it('verify exits 1 on damage and names the section; info shows what it could read and exits 1', async () => {
    const info = jsonOf<InfoReport>(await runCli(['info', good, '--json']));
    const nodes = info.file!.sections.find((s) => s.name === 'NODES' && s.modality === 'text')!;
    const columns = info.file!.sections.find((s) => s.name === 'COLUMNS')!;
    for (const [name, offset, section] of [
      ['nodes.feather', nodes.offset + Math.floor(nodes.length / 2), 'NODES (text)'],
      ['columns.feather', columns.offset + 70, 'COLUMNS'],
    ] as const) {
      const path = damaged(name, offset, [0xde, 0xad, 0xbe, 0xef]);
      const result = await runCli(['verify', path, '--json']);
      expect(result.code, name).toBe(1);
      expect(jsonOf<VerifyReport>(result)).toMatchObject({ status: 'damaged', error: { code: 'FEATHER_ERR_CORRUPT', section } });
      const human = await runCli(['verify', path]);
      expect(human.code).toBe(1);
      expect(human.stdout).toMatch(
        new RegExp(`^DAMAGED {2}.*${name}\\n {2}FEATHER_ERR_CORRUPT: .*\\[section ${section.replace(/[()]/g, '\\$&')}\\]\\n$`),
      );
      const shown = await runCli(['info', path, '--json']);
      expect(shown.code).toBe(1);
      expect(jsonOf<InfoReport>(shown)).toMatchObject({ checksumsVerified: false, error: { code: 'FEATHER_ERR_CORRUPT', section } });
      expect(jsonOf<InfoReport>(shown).file?.sections.length).toBe(info.file!.sections.length);
    }
    const truncated = join(dir, 'truncated.feather');
    copyFileSync(good, truncated);
    truncateSync(truncated, 1000);
    expect((await runCli(['verify', truncated])).code).toBe(1);
    writeFileSync(join(dir, 'foreign.feather'), 'just some text, not a store');
    const foreign = await runCli(['verify', join(dir, 'foreign.feather'), '--json']);
    expect(foreign.code).toBe(1);
    expect(jsonOf<VerifyReport>(foreign).error?.code).toBe('FEATHER_ERR_CORRUPT');
  });

  it('verify exits 2 when the file cannot be read at all: missing, a directory, a newer format', async () => {
    const missing = await runCli(['verify', join(dir, 'nope.feather'), '--json']);
    expect(missing.code).toBe(2);
    expect(jsonOf<VerifyReport>(missing)).toMatchObject({ status: 'unreadable', error: { code: 'FEATHER_ERR_NOT_FOUND' } });
    mkdirSync(join(dir, 'folder.feather'));
    expect((await runCli(['verify', join(dir, 'folder.feather')])).code).toBe(2);
    const newer = damaged('newer.feather', 8, [99, 0]);
    const result = await runCli(['verify', newer]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^UNREADABLE {2}.*newer\.feather\n {2}FEATHER_ERR_FORMAT_VERSION: File format 99\.\d+ of /);
    expect((await runCli(['info', newer])).code).toBe(2);
  });
});

describe('feather stats, search, compact', () => {
  it('read-only commands work while another process holds the writer lock; compact needs the lock', async () => {
    const path = join(dir, 'locked.feather');
    copyFileSync(good, path);
    const writer = await Feather.open(path, { threads: 1 });
    onTestFinished(() => writer.close());
    await writer.add(row(data, dim, 5), { id: 'fresh', text: 'written by the holder', namespace: 'alpha' });
    const stats = await runCli(['stats', path, '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    // The WAL holds the holder's last write; a readOnly load replays it.
    expect(jsonOf<{ memories: number; namespaces: Record<string, number>; walBytes: number }>(stats)).toMatchObject({
      memories: 399,
      namespaces: { alpha: 101, beta: 298 },
    });
    /** `feather search` for the vector of row `i`, with `flags`. */
    const searchRow = (i: number, ...flags: string[]) =>
      runCli(['search', path, '--vector', JSON.stringify(Array.from(row(data, dim, i))), ...flags]);
    const hits = await searchRow(5, '-k', '3', '--namespace', 'alpha', '--json');
    expect(hits.code, hits.stderr).toBe(0);
    const parsed = jsonOf<{ id: string; score: number; namespace: string }[]>(hits);
    expect(parsed.length).toBe(3);
    expect(parsed.map((h) => h.id)).toContain('fresh');
    expect(parsed.every((h) => h.namespace === 'alpha')).toBe(true);
    const human = await searchRow(7, '-k', '2', '--filter', '{"even":false}');
    expect(human.stdout).toMatch(/^ {2}1\. 1\.0000 {2}"m7" {2}\[alpha\] {2}memory 7\n {2}2\. /);
    expect((await runCli(['verify', path])).code).toBe(0);
    expect((await runCli(['export', path])).code).toBe(0);
    const compact = await runCli(['compact', path]);
    expect(compact.code).toBe(2);
    expect(compact.stderr).toMatch(/^feather: FEATHER_ERR_LOCKED: /);
    expect(compact.stderr.split('\n').length).toBe(2);
  });

  it('compact drops tombstones and saves; the store verifies after', async () => {
    const path = join(dir, 'compact.feather');
    copyFileSync(good, path);
    const result = await runCli(['compact', path, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf<{ before: { tombstones: number }; after: { tombstones: number }; memories: number }>(result)).toMatchObject({
      before: { tombstones: 2 },
      after: { tombstones: 0 },
      memories: 398,
    });
    const stats = jsonOf<{ modalities: Record<string, { nodes: number; tombstones: number }> }>(await runCli(['stats', path, '--json']));
    expect(stats.modalities['text']).toMatchObject({ nodes: 398, tombstones: 0 });
    expect((await runCli(['verify', path])).code).toBe(0);
  });

  it('--help everywhere, usage errors exit 64 in one line, a bad query is a typed error', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['info', 'verify', 'import', 'export', 'search', 'compact', 'stats']) {
      expect(help.stdout).toContain(command);
      const sub = await runCli([command, '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toMatch(new RegExp(`^Usage: feather ${command} `));
    }
    const unknown = await runCli(['frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr.split('\n')[0]).toBe("feather: usage: unknown command 'frobnicate'");
    expect((await runCli(['search', good, '--vector', '[1,2', '-k', '2'])).code).toBe(64);
    expect((await runCli(['search', good, '-k', '0', '--vector', '[1]'])).code).toBe(64);
    const wrongDim = await runCli(['search', good, '--vector', '[1, 2]', '--json']);
    expect(wrongDim.code).toBe(2);
    expect(JSON.parse(wrongDim.stderr)).toMatchObject({ error: { code: 'FEATHER_ERR_DIMENSION_MISMATCH' } });
    const neither = await runCli(['search', good]);
    expect(neither.stderr).toBe('feather: FEATHER_ERR_INVALID_ARGUMENT: give the query as text or as --vector [..], one of the two\n');
    expect(readFileSync(good).subarray(0, 6).toString()).toBe('FEATHR');
  });
});
