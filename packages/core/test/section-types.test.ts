import { readFileSync } from 'node:fs';
import * as sectionTypes from '../src/format/section-types.js';
import { describe, expect, it } from 'vitest';

describe('section types', () => {
  const doc = readFileSync(new URL('../../../docs/format.md', import.meta.url), 'utf8');
  // The "Sections" table of docs/format.md: `| type | name | tag | contents |`.
  const documented = new Map([...doc.matchAll(/^\| (\d+) \| ([A-Z_]+) \|/gm)].map((m) => [Number(m[1]), m[2]] as const));
  const types: number[] = [];
  for (const [name, value] of Object.entries(sectionTypes)) if (name.startsWith('kSection') && typeof value === 'number') types.push(value);

  it('names every section type as the format doc does, and the doc lists no other', () => {
    expect(types.length).toBeGreaterThan(0);
    expect(new Map(types.map((t) => [t, sectionTypes.sectionName(t)]))).toEqual(documented);
  });

  it('calls a type it does not know UNKNOWN_<type>', () => {
    const unknown = Math.max(...types) + 1;
    expect(sectionTypes.sectionName(unknown)).toBe(`UNKNOWN_${unknown}`);
  });
});
