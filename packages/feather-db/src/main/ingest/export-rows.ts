// Feather.export: every memory as an ingest row, oldest first, so that ingest(export()) restores a store.
import type { MemoryModel } from '@feather-db/core';
import { checkBoolean, checkNamespace, checkOptions } from '../input.js';
import { recordFields } from '../search-results.js';
import type { ExportOptions, ExportRow } from './ingest-api.js';

/** What export reads: the facade's mirror and its vectors. */
export interface ExportSource {
  readonly model: MemoryModel;
  /** The 'text' modality (exported as `vector`); the others go in `vectors`. */
  readonly mainModality: string;
  vectorOf(row: number, modality: string): Float32Array | undefined;
  /** Throws when the store has been closed. */
  checkOpen(): void;
}

/** Rows read between two turns of the event loop. */
const kExportSliceRows = 1024;

export function exportRows(source: ExportSource, options: ExportOptions | undefined): AsyncGenerator<ExportRow, void, undefined> {
  const o = checkOptions<ExportOptions>(options, ['namespace', 'vectors'], 'options', "{ namespace: 'user-1', vectors: true }");
  const namespace = o.namespace === undefined ? undefined : checkNamespace(o.namespace, 'options.namespace');
  const vectors = o.vectors === undefined ? false : checkBoolean(o.vectors, 'options.vectors');
  return rows(source, namespace, vectors);
}

async function* rows(
  source: ExportSource,
  namespace: string | undefined,
  withVectors: boolean,
): AsyncGenerator<ExportRow, void, undefined> {
  const { model } = source;
  // Rows are never reused, so row order is insertion order; memories added after the start are not included.
  const limit = model.rowLimit;
  for (let row = 0; row < limit; row++) {
    if (row % kExportSliceRows === kExportSliceRows - 1) await new Promise((resolve) => setImmediate(resolve));
    source.checkOpen();
    const r = model.record(row);
    if (r === undefined || (namespace !== undefined && r.namespace !== namespace)) continue;
    const out: ExportRow = recordFields(r);
    const outgoing = model.edgesOf(row).outgoing;
    if (outgoing.length > 0) out.links = outgoing.map((e) => ({ to: e.to, type: e.type, weight: e.weight }));
    if (withVectors) {
      for (const modality of r.modalities) {
        const v = source.vectorOf(row, modality);
        if (v === undefined) continue;
        if (modality === source.mainModality) out.vector = v;
        else (out.vectors ??= {})[modality] = v;
      }
    }
    yield out;
  }
}
