// I/O fault sweep: the engine scenario (engine-scenario.ts: create, writes, a group, save, update, forget,
// close, reopen with the WAL resumed, save, write, close) runs once per fault point: the n-th open, write
// (whole, or cut short after half its bytes), sync or rename fails, for every n the scenario reaches, under
// every durability. After each fault every step either succeeds or fails with FEATHER_ERR_IO (the store goes
// on, or fails closed), and a clean open of the files holds every acknowledged write. Then the power-loss
// sweep: the machine dies at each of those points (only synced bytes under durably named files survive), and
// under 'fsync' every acknowledged write is still there.
import {
  faultyFileIo,
  KernelArena,
  memoryFileIo,
  powerLossIo,
  StoreEngine,
  type Durability,
  type FileFault,
  type FileOpKind,
} from '@feather-db/core';
import { describe, expect, it } from 'vitest';
import { engineSpec, expectHeld, runScenario, stateOf } from './engine-scenario.js';

const arena = KernelArena.create();
const kKinds: FileOpKind[] = ['open', 'write', 'sync', 'rename'];
const kDurabilities: Durability[] = ['fsync', 'os', 'none'];

/** Every fault point of the scenario under `durability`: each kind's n-th operation, and short writes. */
function faultPoints(durability: Durability): FileFault[] {
  arena.resetForTests();
  const counting = faultyFileIo(memoryFileIo());
  const clean = runScenario(arena, counting, durability);
  expect(clean.failures).toEqual([]);
  const points: FileFault[] = [];
  for (const op of kKinds) {
    for (let nth = 1; nth <= counting.counts[op]; nth++) {
      points.push({ op, nth });
      if (op === 'write') points.push({ op, nth, short: true });
    }
  }
  return points;
}

const label = (f: FileFault): string => `${f.op} #${f.nth}${f.short === true ? ' (short)' : ''}`;

describe('I/O fault sweep over the engine', () => {
  const swept: Record<string, number> = {};

  for (const durability of kDurabilities) {
    it(`goes on or fails closed at every fault point under durability '${durability}', losing no acknowledged write`, () => {
      const points = faultPoints(durability);
      for (const fault of points) {
        arena.resetForTests();
        const files = new Map<string, Uint8Array>();
        const io = faultyFileIo(memoryFileIo(files), fault);
        const run = runScenario(arena, io, durability);
        const context = `${durability}, ${label(fault)}`;
        expect(io.fired, context).toBe(true);
        for (const f of run.failures) expect(f.code, `${context}: step ${f.step}`).toBe('FEATHER_ERR_IO');
        expectHeld(arena, memoryFileIo(files), run.expected, context);
      }
      swept[durability] = points.length;
    });
  }

  it("keeps every acknowledged write under 'fsync' when the power fails at any point", () => {
    const points = faultPoints('fsync');
    for (const fault of points) {
      arena.resetForTests();
      const disk = powerLossIo();
      // The fault is the moment of the power loss: nothing runs after it.
      const io = faultyFileIo(disk, fault);
      const run = runScenario(arena, io, 'fsync', () => io.fired);
      expectHeld(arena, memoryFileIo(disk.afterPowerLoss()), run.expected, `power loss at ${label(fault)}`);
    }
    swept['power loss'] = points.length;
    process.stdout.write(`I/O fault points swept: ${JSON.stringify(swept)}\n`);
  });

  it("loses unsynced writes on power loss under 'os' and 'none', and none under 'fsync'", () => {
    const survivors: Record<string, number> = {};
    for (const durability of kDurabilities) {
      arena.resetForTests();
      const disk = powerLossIo();
      const engine = new StoreEngine(arena, disk);
      engine.open(engineSpec(durability));
      for (let i = 0; i < 3; i++) {
        engine.writeMany([
          {
            op: { type: 'upsert', now: 1, items: [{ id: `w${i}`, modality: 'text' }] },
            vectors: { text: Float32Array.of(1, i, 0, 0, 0, 0, 0, 1) },
            parallel: false,
          },
        ]);
      }
      // The power fails with the store open: no close, no save.
      arena.resetForTests();
      const after = new StoreEngine(arena, memoryFileIo(disk.afterPowerLoss()));
      after.open(engineSpec('fsync', true));
      survivors[durability] = ['w0', 'w1', 'w2'].filter((id) => stateOf(after, id) !== null).length;
    }
    expect(survivors).toEqual({ fsync: 3, os: 0, none: 0 });
  });
});
