// What an open of a store of texts holds and costs: a store of agent-style memories (an id and a ~1 KB text
// each, small vectors) is built and saved; then, each round in fresh processes on a fresh copy of the file
// (synced, so no dirty page cache is flushed by the open's own syncs), one opens it until its first search has
// answered and reports RSS, then RSS after its first write, and another reads the file with fs.readFileSync
// (open-cold.mjs), the two in alternating order. Medians reported, every round kept.
//
//   npx -y pnpm@10.34.8 --filter @feather-db/benchmarks bench:open-memory [--rows 100000 --dim 32 --words 140 --rounds 5]
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, fsyncSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { seededRandom, tempStorePath } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { benchArgv } from '../lib/bench-argv.js';
import { runInfo } from '../lib/run-info.js';

const { values: args } = parseArgs({
  args: benchArgv,
  options: {
    rows: { type: 'string', default: '100000' },
    dim: { type: 'string', default: '32' },
    words: { type: 'string', default: '140' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
  },
});
const log = (s: string): void => void console.error(`[open-memory] ${s}`);
const rows = Number(args.rows);
const dim = Number(args.dim);
const rounds = Number(args.rounds);
const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const path = tempStorePath('open-memory.feather');
const rand = seededRandom(20261201);
const vocabulary = ['memory', 'agent', 'vector', 'graph', 'tenant', 'search', 'recall', 'context', 'feather', 'store', 'user', 'topic'];
const db = await Feather.open(path, { dim });
for (let first = 0; first < rows; first += 5000) {
  const count = Math.min(5000, rows - first);
  const vectors = new Float32Array(count * dim).map(() => rand() - 0.5);
  const texts = Array.from(
    { length: count },
    (_, i) =>
      `${Array.from({ length: Number(args.words) }, () => vocabulary[Math.floor(rand() * vocabulary.length)]).join(' ')} #${first + i}`,
  );
  await db.addBatch(vectors, { ids: texts.map((_, i) => `m${first + i}`), metas: texts.map((text) => ({ text })) });
}
await db.save();
await db.close();
const fileBytes = statSync(path).size;
log(`${rows} memories of ${args.words} words saved: ${mib(fileBytes)} MiB`);

const query = JSON.stringify(Array.from({ length: dim }, (_, i) => Math.sin(i)));
const script = (name: string): string => fileURLToPath(new URL(name, import.meta.url));
const child = (argv: string[]): Record<string, unknown> => {
  const run = spawnSync(process.execPath, argv, { env: { ...process.env, NODE_OPTIONS: '' }, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`${argv.join(' ')} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Record<string, unknown>;
};
const opens: Record<string, unknown>[] = [];
const readMs: number[] = [];
for (let r = 0; r < rounds; r++) {
  const copy = tempStorePath(`open-memory-${r}.feather`);
  for (const [from, to] of [
    [path, copy],
    [`${path}.wal`, `${copy}.wal`],
  ]) {
    copyFileSync(from, to);
    const fd = openSync(to, 'r+');
    fsyncSync(fd);
    closeSync(fd);
  }
  for (const side of r % 2 === 0 ? ['read', 'open'] : ['open', 'read']) {
    if (side === 'read') readMs.push(child([script('./open-cold.mjs'), copy, 'read']).readMs as number);
    else opens.push(child(['--expose-gc', script('./open-memory.child.mjs'), copy, query, `m${r}`]));
  }
  rmSync(copy, { force: true });
  rmSync(`${copy}.wal`, { force: true });
  const last = opens.at(-1)!;
  log(
    `round ${r + 1}: open ${(last.openMs as number).toFixed(0)} ms, read ${readMs.at(-1)!.toFixed(0)} ms, RSS ${mib(last.rssOpen as number)} MiB after the open, ${mib(last.rssWrite as number)} MiB after a forget`,
  );
}
const pick = (key: string): number => median(opens.map((o) => o[key] as number));
const records = opens[0].records as { bytes: number; sharedBytes: number };
const result = {
  ...runInfo('open-memory'),
  rows,
  dim,
  words: Number(args.words),
  fileBytes,
  openMs: pick('openMs'),
  readMs: median(readMs),
  rssOpenBytes: pick('rssOpen'),
  rssWriteBytes: pick('rssWrite'),
  memoryBytes: opens[0].memoryBytes,
  records,
  rounds: { opens, readMs },
};
mkdirSync(args.out, { recursive: true });
writeFileSync(join(args.out, 'open-memory.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`### A store of texts: ${rows.toLocaleString('en')} memories of ${args.words} words, ${mib(fileBytes)} MiB on disk, medians of ${rounds}

| measure | value |
|---|---:|
| open until the first search has answered | ${result.openMs.toFixed(0)} ms (\`fs.readFileSync\` of the file: ${result.readMs.toFixed(0)} ms, ${(result.openMs / result.readMs).toFixed(2)}×) |
| RSS after the open | ${mib(result.rssOpenBytes)} MiB |
| RSS after the first write (a forget) | ${mib(result.rssWriteBytes)} MiB |
| records, one copy (\`stats().records.bytes\`) / read by both threads from one buffer (\`sharedBytes\`) | ${mib(records.bytes)} / ${mib(records.sharedBytes)} MiB |
`);
