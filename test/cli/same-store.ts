// Two stores hold the same memories: every get(), bit-equal vectors in every modality, the same edges, and
// the same search results (plain, scoped and filtered, time-decayed at a fixed clock).
import type { Feather, MemoryId } from 'feather-db';
import { expect } from 'vitest';

export async function expectSameStore(a: Feather, b: Feather, queries: Float32Array[], now: number): Promise<number> {
  const ids: MemoryId[] = [];
  for await (const r of a.export()) ids.push(r.id);
  expect(b.count()).toBe(a.count());
  expect(b.listNamespaces()).toEqual(a.listNamespaces());
  expect(b.metric).toBe(a.metric);
  expect(b.embeddingModel).toBe(a.embeddingModel);
  const modalities = Object.keys(a.stats().modalities);
  const byFrom = (x: { from: MemoryId }, y: { from: MemoryId }): number => String(x.from).localeCompare(String(y.from));
  for (const id of ids) {
    expect(b.get(id), `get(${JSON.stringify(id)})`).toEqual(a.get(id));
    for (const m of modalities) {
      const va = a.getVector(id, m);
      expect(va === undefined ? undefined : Array.from(b.getVector(id, m)!), `vector ${m} of ${JSON.stringify(id)}`).toEqual(
        va === undefined ? undefined : Array.from(va),
      );
    }
    const ea = a.edges(id);
    const eb = b.edges(id);
    expect(eb.outgoing).toEqual(ea.outgoing);
    // Incoming edges come in the order they were linked, which an import of forward references changes.
    expect([...eb.incoming].sort(byFrom)).toEqual([...ea.incoming].sort(byFrom));
  }
  const namespaces = a.listNamespaces();
  for (const [i, query] of queries.entries()) {
    // ef covers the whole store: graphs built in another order then return the exact top k.
    const ef = Math.max(256, a.count());
    for (const options of [
      { k: 10 },
      { k: 5, namespace: namespaces[i % namespaces.length] },
      { k: 5, halfLife: 30, timeWeight: 0.5, now },
    ]) {
      const search = { ...options, ef, track: false };
      expect(await b.search(query, search), JSON.stringify(options)).toEqual(await a.search(query, search));
    }
  }
  return ids.length;
}
