// feather info <file>: what the file holds (header, sections, checksums) and what loading it gives.
import type { Command } from 'commander';
import { inspectFileSync, type FileInfo } from 'feather-db';
import { toFeatherError } from '../errors.js';
import { kExitError, kExitOk, kExitProblems } from '../exit-codes.js';
import { bytes, count } from '../output.js';
import { damageOf, namespaceCounts, openForReading, requireFile } from '../store.js';
import { registerReportCommand } from './report-command.js';
import { withSection, type VerifyReport } from './verify.js';

interface ModalityStats {
  dim: number;
  metric: string;
  storage: string;
  nodes: number;
  tombstones: number;
  strideBytes: number;
}

interface InfoReport {
  path: string;
  /** Header, section index (with each stored checksum) and store metadata; absent when the header is unreadable. */
  file?: FileInfo;
  /** True once the store loaded: every section's checksum and the load's structural checks passed. */
  checksumsVerified: boolean;
  store?: {
    memories: number;
    namespaces: Record<string, number>;
    modalities: Record<string, ModalityStats>;
    memoryBytes: number;
    loadTimeMs: number;
  };
  error?: VerifyReport['error'];
}

export function registerInfo(program: Command, done: (code: number) => void): void {
  registerReportCommand(program, {
    name: 'info',
    description: 'show a store: header, sections and their checksums, counts per namespace, modalities, load time (exit 1 when damaged)',
    done,
    run: async (file, out) => {
      const report = await infoOf(file);
      out.result(report, () => describe(report));
      return report.error === undefined ? kExitOk : damageOf(report.error) === 'damaged' ? kExitProblems : kExitError;
    },
  });
}

async function infoOf(path: string): Promise<InfoReport> {
  const report: InfoReport = { path, checksumsVerified: false };
  try {
    requireFile(path);
    report.file = inspectFileSync(path);
    const db = await openForReading(path);
    try {
      const stats = db.stats();
      report.checksumsVerified = true;
      report.store = {
        memories: stats.memories,
        namespaces: namespaceCounts(db),
        modalities: stats.modalities,
        memoryBytes: stats.memoryBytes,
        loadTimeMs: Math.round(db.loadTimeMs * 10) / 10,
      };
    } finally {
      await db.close();
    }
  } catch (caught) {
    report.error = withSection(toFeatherError(caught), report.file);
  }
  return report;
}

function describe(r: InfoReport): string[] {
  const lines = [r.path];
  const f = r.file;
  if (f !== undefined) {
    lines.push(
      `  format ${f.format.major}.${f.format.minor}, ${bytes(f.bytes)}, commit ${f.commitSeq}, embedding model ${f.embeddingModel ?? '(none)'}`,
    );
    lines.push(`  hnsw: m ${f.m}, efConstruction ${f.efConstruction}, efSearch ${f.efSearch}`);
    lines.push(`  wal: ${f.wal === null ? 'none' : bytes(f.wal.bytes)}`);
    lines.push(`  sections (${f.sections.length}), checksums ${r.checksumsVerified ? 'verified' : 'NOT verified'}:`);
    for (const s of f.sections)
      lines.push(
        `    ${s.name.padEnd(13)}${(s.modality ?? '').padEnd(10)}offset ${String(s.offset).padStart(12)}  ${bytes(s.length).padStart(10)}  crc ${s.checksum}`,
      );
  }
  const s = r.store;
  if (s !== undefined) {
    lines.push(`  memories ${count(s.memories)}, memory ${bytes(s.memoryBytes)}, loaded in ${s.loadTimeMs} ms`);
    lines.push(`  modalities:`);
    for (const [name, m] of Object.entries(s.modalities))
      lines.push(
        `    ${name}: dim ${m.dim}, ${m.metric}, ${m.storage}, ${count(m.nodes)} nodes (${count(m.tombstones)} tombstones), ${m.strideBytes} B per node`,
      );
    lines.push(`  namespaces (${Object.keys(s.namespaces).length}):`);
    for (const [ns, n] of Object.entries(s.namespaces)) lines.push(`    ${ns}: ${count(n)}`);
  }
  if (r.error !== undefined)
    lines.push(`  ${r.error.code}: ${r.error.message}${r.error.section === undefined ? '' : ` [section ${r.error.section}]`}`);
  return lines;
}
