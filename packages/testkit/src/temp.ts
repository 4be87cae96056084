import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
let hooked = false;

/** A fresh directory under the OS temp dir, removed when the process exits. */
export function tempDir(prefix = 'feather-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const d of created) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** A path for a new store file in a fresh temp directory. */
export function tempStorePath(name = 'store.feather'): string {
  return join(tempDir(), name);
}
