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

export function runInfo(benchmark: string): RunInfo {
  return {
    benchmark,
    commit: execSync('git rev-parse --short HEAD').toString().trim(),
    node: process.version,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
  };
}
