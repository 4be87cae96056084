import { checkLinks } from '../hnsw/graph-checks.js';
import type { HnswIndex } from '../hnsw/hnsw-index.js';
import type { MemoryModel } from './memory-model.js';
import type { RowMap } from './row-map.js';

/**
 * Cross-checks the memory model against each modality's index and row map: every live record with a vector
 * in a modality maps to a published, untombstoned node tagged with that record's row, namespace and entity;
 * nothing else maps to a node; live node counts agree; every link of every node is a valid id. Returns the
 * problems found (empty when consistent). Used by tests, the crash suite and `Feather.checkIntegrity()`.
 */
export function checkIntegrity(model: MemoryModel, modalities: ReadonlyMap<string, { index: HnswIndex; rows: RowMap }>): string[] {
  const problems: string[] = [];
  const note = (p: string): void => {
    if (problems.length < 50) problems.push(p);
  };
  for (const [name, { index, rows }] of modalities) {
    if (index.reservedCount !== index.size) note(`${name}: ${index.reservedCount - index.size} nodes reserved but not published`);
    let mapped = 0;
    for (let row = 0; row < model.rowLimit; row++) {
      const node = rows.get(row);
      const record = model.record(row);
      const wants = record !== undefined && record.modalities.includes(name);
      if (node < 0) {
        if (wants) note(`${name}: row ${row} (${JSON.stringify(record.id)}) has no node`);
        continue;
      }
      mapped++;
      if (!wants) note(`${name}: row ${row} maps to node ${node} but has no ${name} vector`);
      if (node >= index.size) {
        note(`${name}: row ${row} maps to unpublished node ${node}`);
        continue;
      }
      if (!index.has(node)) note(`${name}: row ${row} maps to tombstoned node ${node}`);
      if (index.rowOf(node) !== row) note(`${name}: node ${node} is tagged with row ${index.rowOf(node)}, mapped from row ${row}`);
      const tags = model.tagsOf(row);
      const nodeTags = index.tagsOf(node);
      if (tags !== undefined && (tags.namespace !== nodeTags.namespace || tags.entity !== nodeTags.entity))
        note(`${name}: node ${node} tags differ from row ${row}'s namespace/entity`);
    }
    if (mapped !== model.modalityCount(name)) note(`${name}: ${mapped} rows mapped, ${model.modalityCount(name)} records hold a vector`);
    if (index.size - index.deletedCount !== mapped) note(`${name}: ${index.size - index.deletedCount} live nodes, ${mapped} mapped rows`);
    for (const p of checkLinks(index)) note(`${name}: ${p}`);
  }
  return problems;
}
