import { readFileSync } from 'node:fs';
import { FeatherError, kErrors, type ErrorCode } from '../src/errors.js';
import { describe, expect, it } from 'vitest';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map(
    doc
      .split('\n')
      .filter((line) => line.startsWith('| FEATHER_ERR_'))
      .map((line) => {
        const [code, kind] = line
          .split('|')
          .slice(1, 3)
          .map((s) => s.trim());
        return [code, kind] as const;
      }),
  );

  it('documents every code with its kind, and nothing else', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(kErrors).sort());
    for (const [code, { kind }] of Object.entries(kErrors)) expect(rows.get(code)).toBe(kind);
  });

  it('every code builds an error whose .code and .kind match the table', () => {
    for (const code of Object.keys(kErrors) as ErrorCode[]) {
      const e = new FeatherError(code, 'x');
      expect(e.code).toBe(code);
      expect(e.kind).toBe(kErrors[code].kind);
    }
  });
});
