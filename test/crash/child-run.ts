// Parent side of the crash suites' children: spawns a child with an event log (event-log.mjs), optionally
// kills it with SIGKILL a while after it reports ready, and returns the lines its log holds once it is gone.
// The log is read after the process has exited, so it holds every line the child finished writing.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export interface ChildRun {
  /** The complete lines of the child's event log, in order (a line cut short by the kill is not one). */
  lines: string[];
  stderr: string;
  signal: NodeJS.Signals | null;
}

export interface ChildRunOptions {
  /** The event log the child writes (passed as its last argument). */
  log: string;
  /** SIGKILL this many ms after the child prints `R` on stdout (absent: the child ends by itself). */
  killAfterReadyMs?: number;
  /** SIGKILL the child if it has not ended after this long (a bound on every run, whatever the child does). */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** Lines of an event log: only those ending in a newline (a write cut short by a kill was never acknowledged). */
export function readEventLog(path: string): string[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n');
  // After the last newline: empty, or a line the kill cut short.
  lines.pop();
  return lines;
}

export function runChild(script: string, args: readonly string[], options: ChildRunOptions): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [script, ...args, options.log], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let ready = false;
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on('data', (chunk: Buffer) => {
      if (ready || options.killAfterReadyMs === undefined || !chunk.toString().includes('R')) return;
      ready = true;
      timer = setTimeout(() => proc.kill('SIGKILL'), options.killAfterReadyMs);
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const guard = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs);
    proc.on('error', (error) => {
      clearTimeout(guard);
      clearTimeout(timer);
      reject(error);
    });
    proc.on('exit', (_code, signal) => {
      clearTimeout(guard);
      clearTimeout(timer);
      resolve({ lines: readEventLog(options.log), stderr, signal });
    });
  });
}
