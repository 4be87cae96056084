// The section types of a .feather file and the names docs/format.md gives them ("Sections"): defined side by
// side so that a new type cannot be added without its name.

export const kSectionStoreMeta = 1;
export const kSectionRecords = 2;
export const kSectionEdges = 3;
export const kSectionColumns = 4;
export const kSectionWriteOrder = 5;
export const kSectionGraphHeader = 16;
export const kSectionNodes = 17;
export const kSectionUpper = 18;
export const kSectionRowMap = 19;
export const kSectionVectors = 20;

const kSectionNames: ReadonlyMap<number, string> = new Map([
  [kSectionStoreMeta, 'STORE_META'],
  [kSectionRecords, 'RECORDS'],
  [kSectionEdges, 'EDGES'],
  [kSectionColumns, 'COLUMNS'],
  [kSectionWriteOrder, 'WRITE_ORDER'],
  [kSectionGraphHeader, 'GRAPH_HEADER'],
  [kSectionNodes, 'NODES'],
  [kSectionUpper, 'UPPER'],
  [kSectionRowMap, 'ROWMAP'],
  [kSectionVectors, 'VECTORS'],
]);

/** The big per-modality sections (graph and vectors): read by load tasks, checksummed by block from format 3. */
export const kBulkSections: readonly number[] = [kSectionNodes, kSectionUpper, kSectionRowMap, kSectionVectors];

/** A section type's name as docs/format.md spells it; an unknown (newer) type is `UNKNOWN_<type>`. */
export function sectionName(type: number): string {
  return kSectionNames.get(type) ?? `UNKNOWN_${type}`;
}
