// The writer lock's rules one by one (docs/format.md, "Lock"); the multi-process race is test/crash/lock-race.
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempStorePath } from '@feather-db/testkit';
import { Feather, FeatherError } from 'feather-db';
import { describe, expect, it } from 'vitest';

async function errorOf(p: Promise<unknown>): Promise<FeatherError> {
  try {
    await p;
  } catch (error) {
    return error as FeatherError;
  }
  throw new Error('expected a rejection');
}

const kOpts = { dim: 4, threads: 1 };

describe('writer lock', () => {
  it('is created whole: a holder record with a token, and no staging file left beside it', async () => {
    const path = tempStorePath();
    const db = await Feather.open(path, kOpts);
    const holder = JSON.parse(readFileSync(`${path}.lock`, 'utf8')) as Record<string, unknown>;
    expect(holder['pid']).toBe(process.pid);
    expect(typeof holder['token']).toBe('string');
    expect(readdirSync(dirname(path)).sort()).toEqual(['store.feather', 'store.feather.lock', 'store.feather.wal']);
    await db.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('releases only its own lock: a lock another opener put in its place stays', async () => {
    const path = tempStorePath();
    const db = await Feather.open(path, kOpts);
    const foreign = JSON.stringify({ pid: 1, host: 'elsewhere', token: 'theirs' });
    writeFileSync(`${path}.lock`, foreign);
    await db.close();
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(foreign);
  });

  it('never judges a holder on another host or in another PID namespace: LOCKED, with how to clear it', async () => {
    const path = tempStorePath();
    await (await Feather.open(path, kOpts)).close();
    for (const holder of [
      { pid: 999_999, host: 'another-host' },
      { pid: 999_999, pidns: 'pid:[1]' },
    ]) {
      writeFileSync(`${path}.lock`, JSON.stringify(holder));
      const error = await errorOf(Feather.open(path, kOpts));
      expect(error.code).toBe('FEATHER_ERR_LOCKED');
      expect(error.message).toContain('delete');
    }
  });

  it('waits out an unreadable lock (an older version writing it) and takes it over once it is old', async () => {
    const path = tempStorePath();
    await (await Feather.open(path, kOpts)).close();
    writeFileSync(`${path}.lock`, '');
    expect((await errorOf(Feather.open(path, kOpts))).code).toBe('FEATHER_ERR_LOCKED');
    const old = new Date(0);
    utimesSync(`${path}.lock`, old, old);
    const db = await Feather.open(path, kOpts);
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8'))).toMatchObject({ pid: process.pid });
    await db.close();
  });

  it('clears a takeover marker left by an opener that died during a takeover', async () => {
    const path = tempStorePath();
    await (await Feather.open(path, kOpts)).close();
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: 999_999 }));
    writeFileSync(`${path}.lock.takeover`, JSON.stringify({ pid: 999_998 }));
    const old = new Date(0);
    utimesSync(`${path}.lock.takeover`, old, old);
    const db = await Feather.open(path, kOpts);
    expect(existsSync(`${path}.lock.takeover`)).toBe(false);
    await db.close();
  });
});
