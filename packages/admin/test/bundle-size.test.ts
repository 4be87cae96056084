// The page's JavaScript and CSS stay under 150 kB gzipped (a size, so it may be asserted). Reads the build
// that `pnpm build` made before the tests.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const kDist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const kBudgetBytes = 150_000;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('the built page', () => {
  it('ships its JavaScript and CSS in under 150 kB gzipped', () => {
    const assets = files(kDist).filter((f) => /\.(js|css)$/.test(f));
    expect(
      assets.some((f) => f.endsWith('.js')),
      `no JavaScript in ${kDist}: run the build first`,
    ).toBe(true);
    expect(assets.some((f) => f.endsWith('.css'))).toBe(true);
    const sizes = assets.map((f) => ({
      file: f.slice(kDist.length + 1),
      raw: statSync(f).size,
      gzip: gzipSync(readFileSync(f), { level: 9 }).length,
    }));
    const total = sizes.reduce((s, f) => s + f.gzip, 0);
    console.log(
      `admin bundle: ${sizes.map((s) => `${s.file} ${s.raw} B (${s.gzip} B gzipped)`).join(', ')}; total ${total} B gzipped of ${kBudgetBytes}`,
    );
    expect(total).toBeLessThan(kBudgetBytes);
  });

  it('index.html loads only files of the build, by relative URLs (so any prefix in front of /admin/ works)', () => {
    const html = readFileSync(join(kDist, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^\.\//);
      expect(statSync(join(kDist, ref)).isFile(), ref).toBe(true);
    }
    // No inline script: the server's Content-Security-Policy allows scripts from the origin only.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
