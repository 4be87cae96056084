// Golden files of every released format version must open forever, with exactly the data they were written
// with (test/compat/make-fixtures.mjs records how each was made; fixtures are never regenerated).
import { copyFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gaussian, seededRandom, tempDir } from '@feather-db/testkit';
import { Feather } from 'feather-db';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The vectors make-fixtures.mjs wrote, regenerated from the same seed. */
function fixtureVectors(): { text: number[][]; image: number[][] } {
  const rand = seededRandom(2026);
  const text = Array.from({ length: 50 }, () => Array.from({ length: 4 }, () => gaussian(rand)));
  const image = Array.from({ length: 10 }, () => Array.from({ length: 3 }, () => gaussian(rand)));
  return { text, image };
}

describe('golden fixtures', () => {
  for (const version of readdirSync(root)) {
    for (const name of ['graph', 'vectors']) {
      it(`${version}/${name}.feather opens with all its data`, async () => {
        const dir = tempDir();
        for (const suffix of ['', '.wal'])
          copyFileSync(join(root, version, `${name}.feather${suffix}`), join(dir, `${name}.feather${suffix}`));
        const db = await Feather.open(join(dir, `${name}.feather`), { threads: 1 });
        try {
          expect(db.dim).toBe(4);
          expect(db.count()).toBe(49);
          expect(db.listNamespaces()).toEqual(['ns0', 'ns1', 'ns2']);
          expect(db.get(0)).toEqual({
            id: 0,
            text: 'fixture 0',
            namespace: 'ns0',
            entity: 'topic',
            importance: 1,
            attributes: { i: 0, even: true, label: 'L0' },
            timestamp: 1_780_000_000_000,
            recallCount: 1,
            lastRecalled: 1_780_000_500_000,
            modalities: ['text', 'image'],
          });
          expect(db.get('s1')).toMatchObject({ recallCount: 1, namespace: 'ns1', entity: null, importance: 1.01 });
          expect(db.get(6)).toMatchObject({ importance: 5, text: 'updated in the wal' });
          expect(db.get(4)).toBeUndefined();
          expect(db.get('s7')).toBeUndefined();
          expect(db.get('wal-1')).toMatchObject({ text: 'from the wal', namespace: 'ns0', timestamp: 1_780_000_600_000 });
          expect(db.edges('s1')).toEqual({
            outgoing: [{ from: 's1', to: 2, type: 'next', weight: 0.75 }],
            incoming: [{ from: 0, to: 's1', type: 'next', weight: 0.25 }],
          });
          expect(db.stats().modalities['image'].storage).toBe('int8');
          const { text, image } = fixtureVectors();
          for (const i of [3, 10, 49]) {
            const [hit] = await db.search(text[i], { k: 1, track: false });
            expect(hit.id).toBe(i % 2 === 0 ? i : `s${i}`);
            expect(hit.similarity).toBeCloseTo(1, 5);
          }
          const [img] = await db.search(image[3], { k: 1, modality: 'image', track: false });
          expect(img.id).toBe(6);
          expect((await db.search([1, 0, 0, 0], { k: 1, track: false }))[0].id).toBe('wal-1');
          expect((await db.search(text[5], { k: 3, namespace: 'ns2', filter: { even: false }, track: false })).map((h) => h.id)).toContain(
            's5',
          );
          expect((await db.checkIntegrity()).problems).toEqual([]);
        } finally {
          await db.close();
        }
      });
    }
  }
});
