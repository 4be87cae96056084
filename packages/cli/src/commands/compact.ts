// feather compact <file>: rebuilds the graphs without tombstones and saves the file.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { Feather } from 'feather-db';
import { integer } from '../cli-options.js';
import { kExitOk } from '../exit-codes.js';
import { bytes, count, Output } from '../output.js';
import { requireFile } from '../store.js';
import { guarded } from './guarded.js';

export function registerCompact(program: Command, done: (code: number) => void): void {
  program
    .command('compact')
    .description('rebuild every graph from live memories only (dropping tombstones) and save the file; needs the writer lock')
    .argument('<file>', 'the .feather file')
    .option('--threads <n>', 'threads rebuilding the graphs (default: FEATHER_LOAD_THREADS or every core)', integer(1, 256))
    .option('--json', 'print as JSON')
    .action(async (file: string, options: { threads?: number; json?: boolean }) => {
      const out = new Output(options);
      done(
        await guarded(out, async () => {
          requireFile(file);
          const started = performance.now();
          const db = await Feather.open(file, { threads: options.threads });
          try {
            const tombstones = (): number => Object.values(db.stats().modalities).reduce((sum, m) => sum + m.tombstones, 0);
            const before = { fileBytes: statSync(file).size, tombstones: tombstones() };
            // A rebuild, not a repair in place: the file saves with no free slots in it.
            await db.compact({ rebuild: true });
            await db.save();
            const after = { fileBytes: statSync(file).size, tombstones: tombstones() };
            const report = { path: file, memories: db.count(), before, after, ms: Math.round(performance.now() - started) };
            out.result(report, () => [
              `${file}: ${count(before.tombstones)} tombstones dropped; ${bytes(before.fileBytes)} -> ${bytes(after.fileBytes)}; ${count(report.memories)} memories (${report.ms} ms)`,
            ]);
            return kExitOk;
          } finally {
            await db.close();
          }
        }),
      );
    });
}
