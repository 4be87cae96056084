// The WAL and the engine after a failed file operation: nothing written twice, nothing appended to a closed
// log, no descriptor closed twice. (The whole sweep over every fault point is test/crash/io-faults.test.ts.)
import { describe, expect, it } from 'vitest';
import { KernelArena } from '../src/arena.js';
import { StoreEngine } from '../src/engine/store-engine.js';
import type { FeatherError } from '../src/errors.js';
import { faultyFileIo } from '../src/format/fault-file-io.js';
import { memoryFileIo, type FileIo } from '../src/format/file-io.js';
import { writeStoreFile } from '../src/format/store-file.js';
import { readWal, WalWriter } from '../src/wal/wal.js';

const record = (seq: number): { seq: number; payload: Uint8Array } => ({ seq, payload: Uint8Array.of(seq, seq, seq) });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as FeatherError).code;
  }
  return 'none';
}

describe('WAL and engine after an I/O fault', () => {
  it('appends groups one after another under every durability, payloads whole or in parts (the fault-free baseline)', () => {
    for (const durability of ['fsync', 'os', 'none'] as const) {
      const files = new Map<string, Uint8Array>();
      const wal = WalWriter.create(memoryFileIo(files), '/w.wal', 0, durability);
      wal.append([record(1), record(2)]);
      wal.append([{ seq: 3, payload: [Uint8Array.of(7), new Uint8Array(0), Uint8Array.of(8, 9)] }]);
      wal.append([record(4)]);
      const before = wal.bytes;
      wal.close();
      const read = readWal(memoryFileIo(files), '/w.wal');
      expect(read.records.map((r) => [r.seq, Array.from(r.payload)])).toEqual([
        [1, [1, 1, 1]],
        [2, [2, 2, 2]],
        [3, [7, 8, 9]],
        [4, [4, 4, 4]],
      ]);
      expect([durability, read.validBytes, files.get('/w.wal')!.length]).toEqual([durability, before, before]);
    }
  });

  it("under 'none', a flush that failed part-way writes each buffered group exactly once when retried", () => {
    const files = new Map<string, Uint8Array>();
    // Writes: #1 the header; #2 the first buffered group, cut short; then the retry.
    const io = faultyFileIo(memoryFileIo(files), { op: 'write', nth: 3, short: true });
    const wal = WalWriter.create(io, '/w.wal', 0, 'none');
    wal.append([record(1)]);
    wal.append([record(2)]);
    wal.append([record(3)]);
    expect(codeOf(() => wal.flush(false))).toBe('FEATHER_ERR_IO');
    wal.close();
    expect(readWal(memoryFileIo(files), '/w.wal').records.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('fails closed when the WAL cannot be re-created after a save, instead of appending to a closed log', () => {
    const arena = KernelArena.create();
    const files = new Map<string, Uint8Array>();
    const spec = {
      path: '/s.feather',
      modalities: { text: { dim: 4, metric: 'l2' as const } },
      m: 8,
      efConstruction: 16,
      efSearch: 16,
      modelId: undefined,
      readOnly: false,
      durability: 'fsync' as const,
    };
    // Renames: #1 the new store's file, #2 its WAL; #3 the save's file, #4 the save's new WAL (fails).
    const io = faultyFileIo(memoryFileIo(files), { op: 'rename', nth: 4 });
    const engine = new StoreEngine(arena, io);
    engine.open(spec);
    const write = (id: string): unknown =>
      engine.writeMany([
        {
          op: { type: 'upsert', now: 1, items: [{ id, modality: 'text' }] },
          vectors: { text: Float32Array.of(1, 2, 3, 4) },
          parallel: false,
        },
      ]);
    write('a');
    expect(codeOf(() => engine.save(undefined, 'auto'))).toBe('FEATHER_ERR_IO');
    expect(engine.failure?.details?.['reason']).toBe('failed-closed');
    expect(codeOf(() => write('b'))).toBe('FEATHER_ERR_IO');
    expect(codeOf(() => engine.save(undefined, 'auto'))).toBe('FEATHER_ERR_IO');
    engine.close();
    // The saved file holds 'a'; 'b' was refused.
    arena.resetForTests();
    const again = new StoreEngine(arena, memoryFileIo(files));
    again.open({ ...spec, readOnly: true });
    expect(again.model.rowOf('a')).toBeDefined();
    expect(again.model.rowOf('b')).toBeUndefined();
  });

  it('closes the temp file of a failed save exactly once, and removes it', () => {
    const files = new Map<string, Uint8Array>();
    const closes: number[] = [];
    const inner = memoryFileIo(files);
    const counting: FileIo = { ...inner, close: (fd) => (closes.push(fd), inner.close(fd)) };
    const io = faultyFileIo(counting, { op: 'rename', nth: 1 });
    expect(codeOf(() => writeStoreFile(io, '/f.feather', { dim: 4, metric: 1, commitSeq: 0, modelId: '' }, []))).toBe('FEATHER_ERR_IO');
    expect(closes.length).toBe(1);
    expect([...files.keys()]).toEqual([]);
  });
});
