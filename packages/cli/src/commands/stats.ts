// feather stats <file>: the numbers a monitor wants, from a readOnly load.
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { kExitOk } from '../exit-codes.js';
import { bytes, count } from '../output.js';
import { namespaceCounts, openForReading, walBytes } from '../store.js';
import { guarded } from './guarded.js';
import { registerReportCommand } from './report-command.js';

export function registerStats(program: Command, done: (code: number) => void): void {
  registerReportCommand(program, {
    name: 'stats',
    description: 'memories, namespaces, memory in use, file and WAL size, load time',
    done,
    run: (file, out) =>
      guarded(out, async () => {
        const db = await openForReading(file);
        try {
          const s = db.stats();
          const report = {
            path: file,
            memories: s.memories,
            namespaces: namespaceCounts(db),
            memoryBytes: s.memoryBytes,
            fileBytes: statSync(file).size,
            walBytes: walBytes(file),
            loadTimeMs: Math.round(db.loadTimeMs * 10) / 10,
            modalities: s.modalities,
          };
          out.result(report, () => [
            `${file}: ${count(report.memories)} memories in ${Object.keys(report.namespaces).length} namespaces`,
            `  file ${bytes(report.fileBytes)}, WAL ${bytes(report.walBytes)}, memory ${bytes(report.memoryBytes)}, loaded in ${report.loadTimeMs} ms`,
            ...Object.entries(report.modalities).map(
              ([name, m]) => `  ${name}: ${count(m.nodes)} nodes, ${count(m.tombstones)} tombstones, ${m.storage}`,
            ),
          ]);
          return kExitOk;
        } finally {
          await db.close();
        }
      }),
  });
}
