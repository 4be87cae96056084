// An open hands the event loop back between its steps (core's openShared): before it reads the file, between
// the model's sections and the mirror's decode, after the decode, and between load tasks. Each step runs in a
// turn of its own, so no turn of an open holds the reading, the decode and the first tasks together.
import { gaussian, seededRandom } from '@feather-db/testkit';
import { describe, expect, it } from 'vitest';
import { KernelArena } from '../src/arena.js';
import type { EngineOpenSpec } from '../src/engine/engine-types.js';
import { StoreEngine } from '../src/engine/store-engine.js';
import { memoryFileIo, type FileIo } from '../src/format/file-io.js';
import { openShared } from '../src/open/store-opening.js';
import { engineSpec, linkJobs } from './helpers.js';

const kPath = '/store.feather';
const kDim = 8;

const spec = (readOnly: boolean): EngineOpenSpec => engineSpec(kPath, 'cosine', { readOnly });

describe('openShared', () => {
  it('yields before reading the file, around the mirror decode, and between load tasks', async () => {
    // A saved store of 2,000 memories (its bulk sections cut into several tasks).
    const arena = KernelArena.create();
    const io = memoryFileIo();
    const engine = new StoreEngine(arena, io);
    linkJobs(arena, engine.open(spec(false)).pending);
    const rand = seededRandom(11);
    const n = 2000;
    const vectors = Float32Array.from({ length: n * kDim }, () => gaussian(rand));
    const items = Array.from({ length: n }, (_, i) => ({ id: i, modality: 'text', text: `memory ${i}` }));
    engine
      .writeMany([{ op: { type: 'upsert', now: 1_700_000_000_000, items }, vectors: { text: vectors }, parallel: false }])
      .forEach((r) => linkJobs(arena, r));
    engine.save(undefined, 'always');
    engine.close();

    // Open it again, logging this thread's reads and turns (the writer's reads are its own).
    arena.resetForTests();
    const log: string[] = [];
    let writerRunning = false;
    const logged: FileIo = { ...io, read: (fd, target, position) => (writerRunning || log.push('read'), io.read(fd, target, position)) };
    const writer = new StoreEngine(arena, io);
    const asWriter = <T>(run: () => T): T => {
      writerRunning = true;
      try {
        return run();
      } finally {
        writerRunning = false;
      }
    };
    const { mirror } = await openShared(
      logged,
      kPath,
      arena,
      {
        // The writer's share starts after a timer: this thread's turns are microtasks, so it runs every task.
        prepare: (half) =>
          new Promise((resolve) => setTimeout(resolve, 0)).then(() => asWriter(() => writer.prepare({ ...spec(true), ...half }))),
        open: (half) => Promise.resolve(asWriter(() => writer.open({ ...spec(true), ...half }))),
      },
      { tasksPerTurn: 1, turn: () => Promise.resolve(void log.push('turn')) },
    );
    expect(mirror.size).toBe(n);
    const steps = log
      .join(' ')
      .replace(/(read ?)+/g, 'reads ')
      .trim()
      .split(' ');
    // A turn first; then the plan and the model's sections; a turn; the decode (no reads) and a turn; then one
    // task per turn.
    expect(steps.slice(0, 5)).toEqual(['turn', 'reads', 'turn', 'turn', 'reads']);
    expect(steps.filter((s) => s === 'reads').length).toBeGreaterThan(3);
    expect(steps.join(' ')).not.toMatch(/reads reads/);
  });
});
