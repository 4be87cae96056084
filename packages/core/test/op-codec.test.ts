// A write's WAL payload (wal/op-codec.ts): written in parts, with the vectors as they are; it must read back
// as the msgpack `{ op, vectors }` it always was, whatever the modality names and counts.
import { describe, expect, it } from 'vitest';
import { encode, unpack } from '../src/format/msgpack.js';
import { decodeWrite, encodeWrite, type LoggedWrite } from '../src/wal/op-codec.js';

const joined = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/** The payload as msgpackr packed it whole, before the parts. */
const packedWhole = (w: LoggedWrite): Uint8Array =>
  encode({
    op: w.op,
    vectors: Object.fromEntries(Object.entries(w.vectors).map(([k, v]) => [k, new Uint8Array(v.buffer, v.byteOffset, v.byteLength)])),
  });

describe('encodeWrite', () => {
  const names = ['text', 'é'.repeat(20), 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(255), 'w'.repeat(256), '🙂'.repeat(64)];
  const cases: [string, LoggedWrite][] = [
    ['no vectors', { op: { type: 'forget', ids: [1, 'two'] }, vectors: {} }],
    [
      'one modality, a slice of a larger buffer',
      {
        op: { type: 'upsert', items: [{ id: 'a', modality: 'text', text: 'naïve' }], now: 1_000 },
        vectors: { text: new Float32Array(12).map((_, i) => i / 3).subarray(4, 8) },
      },
    ],
    [
      'modality names of every string header size',
      {
        op: { type: 'storage', modality: 'text', storage: 'int8', maxAbs: Number.POSITIVE_INFINITY },
        vectors: Object.fromEntries(names.map((n, i) => [n, Float32Array.of(i, -i, 0.5)])),
      },
    ],
    [
      'more modalities than a fixmap holds',
      {
        op: { type: 'upsert', items: [], now: 2_000 },
        vectors: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`m${i}`, Float32Array.of(i)])),
      },
    ],
  ];

  for (const [what, write] of cases) {
    it(`reads back as the msgpack it was packed as: ${what}`, () => {
      const bytes = joined(encodeWrite(write));
      // Both decoded from a plain Uint8Array (as a WAL read is): msgpack's binaries come back as that type.
      expect(unpack(bytes)).toEqual(unpack(new Uint8Array(packedWhole(write))));
      const back = decodeWrite(bytes, 'test.wal', 1);
      expect(back.op).toEqual(write.op);
      expect(Object.keys(back.vectors)).toEqual(Object.keys(write.vectors));
      for (const [name, v] of Object.entries(write.vectors)) expect(Array.from(back.vectors[name])).toEqual(Array.from(v));
    });
  }
});
