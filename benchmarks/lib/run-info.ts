// What every result file records of the run: the benchmark, the commit measured, Node and the machine.
import { execSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';

export interface RunInfo {
  benchmark: string;
  commit: string;
  node: string;
  cpu: string | undefined;
  cores: number;
}

/** The short hash of the checkout measured, or 'unknown' outside a git checkout. */
export function commitOf(): string {
  try {
    return execSync('git rev-parse --short HEAD', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function runInfo(benchmark: string): RunInfo {
  return {
    benchmark,
    commit: commitOf(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
  };
}
