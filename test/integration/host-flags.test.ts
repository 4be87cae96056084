// Workers start with only the flags they need, whatever the host process was started with, and an open
// whose writer cannot start leaves nothing behind (the process exits by itself).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tempStorePath } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';

const kTestDir = fileURLToPath(new URL('..', import.meta.url));

function runModule(
  source: string,
  env: Record<string, string> = {},
): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  // --input-type=module -e: a worker that inherited these flags would die at start (ERR_INPUT_TYPE_NOT_ALLOWED).
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: kTestDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...env },
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

describe('host flags and failed starts', () => {
  it('opens, writes, searches and closes under node --input-type=module -e', () => {
    const path = tempStorePath();
    const r = runModule(`
      import { Feather } from 'feather-db';
      const db = await Feather.open(${JSON.stringify(path)}, { dim: 3, threads: 2 });
      await db.addBatch(Array.from({ length: 300 }, (_, i) => [i + 1, 1, 0]));
      const [hit] = await db.search([8, 1, 0], { k: 1 });
      await db.close();
      console.log('OK', hit.id);
    `);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ status: 0, signal: null, stdout: 'OK 7\n' });
  });

  it('an open whose writer dies at start rejects typed and leaves no thread, lock or handle keeping the process alive', () => {
    const path = tempStorePath();
    const r = runModule(
      `
      import { existsSync } from 'node:fs';
      import { Feather } from 'feather-db';
      try {
        await Feather.open(${JSON.stringify(path)}, { dim: 3, threads: 2 });
        console.log('OPENED');
      } catch (error) {
        console.log(error.code, existsSync(${JSON.stringify(`${path}.lock`)}));
      }
    `,
      { FEATHER_INTERNAL_FAULTS: JSON.stringify({ writer: { at: 'boot', how: 'exit' } }) },
    );
    // Killed by the timeout if anything were left running.
    expect(r).toMatchObject({ status: 0, signal: null, stdout: 'FEATHER_ERR_WORKER_EXITED false\n' });
  });
});
