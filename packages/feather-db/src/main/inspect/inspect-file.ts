// What a .feather file says about itself, read without loading it: header, section index, store metadata, WAL size.
import { existsSync, statSync } from 'node:fs';
import { nodeFileIo, readStoreMeta, sectionName, StoreFileReader, type Metric } from '@feather-db/core';

/** One entry of the section index. */
export interface SectionInfo {
  type: number;
  /** As docs/format.md names it (`NODES`, `COLUMNS`, ...); `UNKNOWN_<type>` for a type this version does not know. */
  name: string;
  /** The modality of a per-modality section (graph, vectors), else null. */
  modality: string | null;
  offset: number;
  length: number;
  /** The stored CRC-32, 8 hex digits. */
  checksum: string;
}

/** The header, section index and store metadata of a .feather file. */
export interface FileInfo {
  path: string;
  bytes: number;
  format: { major: number; minor: number };
  /** The last WAL sequence number the file contains. */
  commitSeq: number;
  embeddingModel: string | null;
  m: number;
  efConstruction: number;
  efSearch: number;
  modalities: { name: string; dim: number; metric: Metric }[];
  sections: SectionInfo[];
  /** The write-ahead log beside the file, or null when there is none. */
  wal: { path: string; bytes: number } | null;
}

/** Per-modality section types start here (docs/format.md). */
const kFirstModalitySection = 16;

/**
 * Reads and checks a file's header and section index (magic, version, length, index checksum) and its
 * STORE_META section; the other sections are neither read nor verified (open, or `checkIntegrity`, does that).
 * Synchronous: a few small reads.
 * @throws FEATHER_ERR_CORRUPT, FEATHER_ERR_FORMAT_VERSION, FEATHER_ERR_IO, FEATHER_ERR_NOT_FOUND.
 */
export function inspectFileSync(path: string): FileInfo {
  const file = StoreFileReader.open(nodeFileIo(), path);
  try {
    const meta = readStoreMeta(file);
    const wal = `${path}.wal`;
    return {
      path,
      bytes: file.header.length,
      format: { major: file.header.major, minor: file.header.minor },
      commitSeq: file.header.commitSeq,
      embeddingModel: file.header.modelId === '' ? null : file.header.modelId,
      m: meta.m,
      efConstruction: meta.efConstruction,
      efSearch: meta.efSearch,
      modalities: meta.modalities.map((m) => ({ name: m.name, dim: m.dim, metric: m.metric })),
      sections: file.sections.map((s) => ({
        type: s.type,
        name: sectionName(s.type),
        modality: s.type >= kFirstModalitySection ? (meta.modalities[s.tag]?.name ?? `#${s.tag}`) : null,
        offset: s.offset,
        length: s.length,
        checksum: s.crc.toString(16).padStart(8, '0'),
      })),
      wal: existsSync(wal) ? { path: wal, bytes: statSync(wal).size } : null,
    };
  } finally {
    file.close();
  }
}
