// Texts without vectors are embedded by the local model on import; `search` takes text; `serve` is feather-serve.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { jsonOf, runCli } from './run-cli.js';

const kTexts = [
  'prefers window seats on long flights',
  'allergic to peanuts and tree nuts',
  'the deployment runs on a kubernetes cluster',
  'birthday is on the fourth of march',
  'likes jazz and old vinyl records',
  'works remotely from lisbon',
];

describe('text through the local embedder', () => {
  it('import embeds text-only rows into a new 512-d store recording the model; search by text finds them', async () => {
    const dir = tempDir();
    const store = join(dir, 'notes.feather');
    writeFileSync(
      join(dir, 'notes.jsonl'),
      `${kTexts.map((text, i) => JSON.stringify({ id: `n${i}`, text })).join('\n')}\n${JSON.stringify({ id: 'empty', text: '   ' })}\n`,
    );
    writeFileSync(join(dir, 'more.csv'), 'id,text,topic\nc1,"drinks coffee without sugar, every morning",food\n');
    const imported = await runCli(['import', store, join(dir, 'notes.jsonl'), join(dir, 'more.csv'), '--json']);
    expect(imported.code, imported.stderr).toBe(1);
    const summary = jsonOf<{ totals: { inserted: number; failed: number; embedded: number }; failures: { row: number; code: string }[] }>(
      imported,
    );
    expect(summary.totals).toMatchObject({ inserted: kTexts.length + 1, failed: 1, embedded: kTexts.length + 1 });
    expect(summary.failures[0]).toMatchObject({ row: kTexts.length + 1, code: 'FEATHER_ERR_INVALID_ARGUMENT' });
    const info = jsonOf<{ file: { embeddingModel: string; modalities: { dim: number }[] } }>(await runCli(['info', store, '--json']));
    expect(info.file.embeddingModel).toBe('local:use-lite-512');
    expect(info.file.modalities[0].dim).toBe(512);
    const food = jsonOf<{ id: string }[]>(
      await runCli(['search', store, 'does', 'she', 'have', 'a', 'nut', 'allergy?', '-k', '1', '--json']),
    );
    expect(food.map((h) => h.id)).toEqual(['n1']);
    const human = await runCli(['search', store, 'which cluster is the deployment on', '-k', '1']);
    expect(human.stdout).toMatch(/^ {2}1\. 0\.\d{4} {2}"n2" {2}\[default\] {2}the deployment runs on a kubernetes cluster\n$/);
    // Vectors of the data's own model never get the local model recorded.
    writeFileSync(join(dir, 'vectors.jsonl'), `${JSON.stringify({ vector: [0.1, 0.2, 0.3], text: 'three dims' })}\n`);
    await runCli(['import', join(dir, 'v.feather'), join(dir, 'vectors.jsonl')]);
    expect(
      jsonOf<{ file: { embeddingModel: string | null } }>(await runCli(['info', join(dir, 'v.feather'), '--json'])).file.embeddingModel,
    ).toBeNull();
    const refused = await runCli(['search', join(dir, 'v.feather'), 'three']);
    expect(refused.stderr).toMatch(
      /^feather: FEATHER_ERR_INVALID_ARGUMENT: .*has no embedding model feather can run \(none recorded\); search it with --vector/,
    );
  });
});

describe('feather serve', () => {
  it('runs feather-serve with the same arguments; read-only commands work beside it; SIGTERM stops it', async () => {
    const dir = tempDir();
    const store = join(dir, 'served.feather');
    writeFileSync(join(dir, 'rows.jsonl'), `${JSON.stringify({ id: 'a', vector: [1, 0, 0, 0], text: 'first' })}\n`);
    expect((await runCli(['import', store, join(dir, 'rows.jsonl')])).code).toBe(0);
    let url: Promise<string> | undefined;
    let stop: (() => void) | undefined;
    const served = runCli(['serve', store, '--dev', '--port', '0', '--embed', 'none', '--log-level', 'silent'], {
      timeoutMs: 30_000,
      onSpawn: (child) => {
        stop = () => child.kill('SIGTERM');
        url = new Promise((resolve) => {
          let out = '';
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const match = /listening on (http:\/\/\S+)/.exec(out);
            if (match !== null) resolve(match[1]);
          });
        });
      },
    });
    const base = await url!;
    const health = (await (await fetch(`${base}/health`)).json()) as { status: string; vectors: number; dim: number };
    expect(health).toMatchObject({ status: 'ok', vectors: 1, dim: 4 });
    // feather-serve holds the writer lock: verify and search still work (readOnly), compact does not.
    expect((await runCli(['verify', store])).code).toBe(0);
    expect(jsonOf<{ id: string }[]>(await runCli(['search', store, '--vector', '[1,0,0,0]', '--json']))[0]?.id).toBe('a');
    expect((await runCli(['compact', store])).stderr).toMatch(/^feather: FEATHER_ERR_LOCKED/);
    const add = await fetch(`${base}/api/v1/namespaces/default/memories`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'b', vector: [0, 1, 0, 0], text: 'second' }),
    });
    expect(add.status, await add.text()).toBeLessThan(300);
    stop!();
    const result = await served;
    expect(result.code, result.stderr).toBe(0);
    // It saved on the way out.
    expect(jsonOf<{ memories: number; walBytes: number }>(await runCli(['stats', store, '--json']))).toMatchObject({ memories: 2 });
  });
});
