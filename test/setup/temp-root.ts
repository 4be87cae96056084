// Every temp directory a test run creates (testkit's tempDir, the CLI's and server's own, those of child
// processes the crash suites spawn and kill) goes under one root that this run removes when it ends. A forked
// test worker is stopped without running its `exit` handlers, so per-process cleanup alone left hundreds of
// directories in the OS temp dir per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'feather-test-run-'));
  // Read by os.tmpdir() in the workers, which inherit this environment, and in every process they spawn.
  process.env['TMPDIR'] = root;
  return () => rmSync(root, { recursive: true, force: true });
}
