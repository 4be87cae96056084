// feather verify <file>: every checksum, the load's structural checks, the WAL, then the full integrity pass.
import type { Command } from 'commander';
import { inspectFileSync, type FeatherError, type FileInfo, type WireError } from 'feather-db';
import { toFeatherError } from '../errors.js';
import { kExitError, kExitOk, kExitProblems } from '../exit-codes.js';
import { count } from '../output.js';
import { damageOf, openForReading, requireFile } from '../store.js';
import { registerReportCommand } from './report-command.js';

export interface VerifyReport {
  path: string;
  status: 'ok' | 'damaged' | 'unreadable';
  /** Integrity problems found in a file that loaded. */
  problems: string[];
  /** Why the file did not load or could not be read. */
  error?: WireError & { section?: string };
  sections?: number;
  memories?: number;
  ms: number;
}

export function registerVerify(program: Command, done: (code: number) => void): void {
  registerReportCommand(program, {
    name: 'verify',
    description:
      'check a store completely: header, every section checksum, the WAL, records, graphs and edges (exit 0 ok, 1 damaged, 2 unreadable)',
    done,
    run: async (file, out) => {
      const report = await verifyStore(file);
      out.result(report, () => describe(report));
      return report.status === 'ok' ? kExitOk : report.status === 'damaged' ? kExitProblems : kExitError;
    },
  });
}

async function verifyStore(path: string): Promise<VerifyReport> {
  const started = performance.now();
  const report = (status: VerifyReport['status'], rest: Partial<VerifyReport>): VerifyReport => ({
    path,
    status,
    problems: [],
    ...rest,
    ms: Math.round(performance.now() - started),
  });
  let info: FileInfo | undefined;
  try {
    requireFile(path);
    info = inspectFileSync(path);
    const db = await openForReading(path);
    try {
      const { problems } = await db.checkIntegrity();
      return report(problems.length === 0 ? 'ok' : 'damaged', { problems, sections: info.sections.length, memories: db.count() });
    } finally {
      await db.close();
    }
  } catch (caught) {
    const error = toFeatherError(caught);
    return report(damageOf(error), { error: withSection(error, info), sections: info?.sections.length });
  }
}

/** The error's wire form, naming the damaged section when the error points at one. */
export function withSection(error: FeatherError, info: FileInfo | undefined): VerifyReport['error'] {
  const { type, tag, offset } = error.details ?? {};
  const modality = typeof tag === 'number' ? info?.modalities[tag]?.name : undefined;
  // By type (and modality), else the section holding the damaged offset.
  const section =
    info?.sections.find((s) => s.type === type && (s.modality === null || modality === undefined || s.modality === modality)) ??
    (typeof offset === 'number' && offset > 0 ? info?.sections.find((s) => offset >= s.offset && offset < s.offset + s.length) : undefined);
  const wire = error.toWire();
  return section === undefined
    ? wire
    : { ...wire, section: section.modality === null ? section.name : `${section.name} (${section.modality})` };
}

function describe(r: VerifyReport): string[] {
  const head = `${r.status.toUpperCase()}  ${r.path}`;
  if (r.status === 'ok')
    return [
      `${head}: ${r.sections!} sections and the WAL check out; ${count(r.memories!)} memories, records, graphs and edges consistent (${r.ms} ms)`,
    ];
  const lines = [head];
  if (r.error !== undefined)
    lines.push(`  ${r.error.code}: ${r.error.message}${r.error.section === undefined ? '' : ` [section ${r.error.section}]`}`);
  for (const p of r.problems) lines.push(`  problem: ${p}`);
  return lines;
}
