// SIGTERM while writes are in flight: the built feather-serve finishes them, saves and exits 0; every write
// it acknowledged is in the file when it is opened again.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { Feather } from 'feather-db';
import { tempStorePath } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { kServeBin } from './mcp-client.js';

const kKey = 'shutdown-test-key-0123456789';

describe('graceful shutdown', () => {
  it('SIGTERM during writes loses nothing that was acknowledged', async () => {
    const path = tempStorePath('shutdown.feather');
    const child = spawn(
      process.execPath,
      [kServeBin, path, '--embed', 'none', '--dim', '8', '--port', '0', '--threads', '1', '--log-level', 'warn'],
      {
        env: { ...process.env, FEATHER_API_KEY: kKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit');
    while (!/listening on (http:\/\/\S+)/.test(output)) {
      if (child.exitCode !== null) throw new Error(`feather-serve exited early:\n${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const url = /listening on (http:\/\/\S+)/.exec(output)![1];

    const acknowledged: number[] = [];
    let refused = 0;
    let next = 0;
    let signalled = false;
    // 8 writers, each sending writes one after another until the server stops answering (bounded by count).
    const writer = async (): Promise<void> => {
      while (next < 5000) {
        const id = next++;
        if (id === 200 && !signalled) {
          signalled = true;
          child.kill('SIGTERM');
        }
        try {
          const response = await fetch(`${url}/api/v1/namespaces/w/memories`, {
            method: 'POST',
            headers: { authorization: `Bearer ${kKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ id, vector: Array.from({ length: 8 }, (_, j) => Math.sin(id + j)) }),
          });
          const body = await response.text();
          if (response.status === 201) acknowledged.push(id);
          else if (response.status === 503 && (JSON.parse(body) as { code: string }).code === 'FEATHER_ERR_CLOSED') refused++;
          else throw new Error(`unexpected ${response.status}`);
        } catch (error) {
          if ((error as Error).message.startsWith('unexpected')) throw error;
          return; // the server stopped listening: this writer is done
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, writer));
    const [code] = await exited;
    expect(code, output).toBe(0);
    expect(signalled).toBe(true);
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);
    expect(output).toContain('SIGTERM: finishing requests in flight');
    // Saved: the WAL was folded into the file (an empty WAL remains).
    expect(existsSync(path)).toBe(true);
    const db = await Feather.open(path, { threads: 1 });
    try {
      const missing = acknowledged.filter((id) => db.get(id) === undefined);
      expect(missing).toEqual([]);
      expect(db.count()).toBeGreaterThanOrEqual(acknowledged.length);
      expect((await db.checkIntegrity()).ok).toBe(true);
    } finally {
      await db.close();
    }
    expect(refused + acknowledged.length).toBeLessThanOrEqual(5000);
  });
});
