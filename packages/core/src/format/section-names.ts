// Names of the section types (docs/format.md, "Sections"), for tools that describe a file.
import {
  kSectionColumns,
  kSectionEdges,
  kSectionGraphHeader,
  kSectionNodes,
  kSectionRecords,
  kSectionRowMap,
  kSectionStoreMeta,
  kSectionUpper,
  kSectionVectors,
} from './store-file.js';

const kSectionNames: ReadonlyMap<number, string> = new Map([
  [kSectionStoreMeta, 'STORE_META'],
  [kSectionRecords, 'RECORDS'],
  [kSectionEdges, 'EDGES'],
  [kSectionColumns, 'COLUMNS'],
  [kSectionGraphHeader, 'GRAPH_HEADER'],
  [kSectionNodes, 'NODES'],
  [kSectionUpper, 'UPPER'],
  [kSectionRowMap, 'ROWMAP'],
  [kSectionVectors, 'VECTORS'],
]);

/** A section type's name as docs/format.md spells it; an unknown (newer) type is `UNKNOWN_<type>`. */
export function sectionName(type: number): string {
  return kSectionNames.get(type) ?? `UNKNOWN_${type}`;
}
