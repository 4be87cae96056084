// The pieces an open's bulk reading is cut into (plain data: the plan travels to the writer).
import { FeatherError } from '../errors.js';
import type { GraphHeader } from '../hnsw/types.js';
import type { SectionEntry } from '../format/store-file.js';

/** What a task checks besides its checksum: nothing, node blocks, or a row map's slots. */
export const kTaskCopy = 0;
export const kTaskNodes = 1;
export const kTaskRowMap = 2;

/**
 * One piece of an open's bulk reading: bytes [offset, offset + length) of section `entry` (one checksum block
 * in format 3), copied into the shared memory at `spans` ([address, bytes] pairs in order, adding up to
 * `length`; empty: only checksummed, through a scratch buffer). `kind` kTaskNodes: the bytes are nodes
 * [first, end) of graph `graph`; kTaskRowMap: rows [first, end) of its row map.
 */
export interface LoadTask {
  entry: number;
  offset: number;
  length: number;
  spans: number[];
  kind: number;
  graph: number;
  first: number;
  end: number;
}

/** A graph being restored: where it lives in the shared memory and what the checks need of its header. */
export interface PlannedGraph {
  address: number;
  count: number;
  maxLevel: number;
  /** The upper blocks' arena address and length. */
  upper: number;
  upperBytes: number;
  /** The row map's chunk table. */
  rowMap: number;
}

/** How a modality's graph is loaded: restored (`graph` ≥ 0: its PlannedGraph), else rebuilt from vectors. */
export interface PlannedModality {
  header: GraphHeader;
  graph: number;
  /** The row map's length in the file and the section's offset (for errors). */
  rowMapBytes: number;
  rowMapOffset: number;
}

/** An open's bulk reading as plain data (it travels to the writer with the open spec). */
export interface LoadPlan {
  entries: SectionEntry[];
  tasks: LoadTask[];
  graphs: PlannedGraph[];
  /** By modality tag. */
  modalities: PlannedModality[];
  /** Format 3: each task is one block and its checksum the block hash (else CRC-32 pieces, combined). */
  blocks: boolean;
  /** Address of the shared state in the arena (SharedLoad.stateBytes). */
  state: number;
}

/**
 * Tasks covering section `entry` (`length` bytes) in blocks of `blockBytes`, each copied into `regions`
 * (arena regions that receive the section's bytes in order; none: checksummed only). For block-hashed
 * sections every span but a task's last must be whole 64-byte stripes, which the regions' sizes ensure.
 */
export function cutTasks(entry: number, length: number, blockBytes: number, regions: readonly { at: number; bytes: number }[]): LoadTask[] {
  const tasks: LoadTask[] = [];
  let region = 0;
  let into = 0;
  for (let offset = 0; offset < length; offset += blockBytes) {
    const size = Math.min(blockBytes, length - offset);
    const spans: number[] = [];
    for (let left = size; left > 0 && regions.length > 0;) {
      const r = regions[region];
      if (r === undefined) throw new FeatherError('FEATHER_ERR_INTERNAL', `cutTasks: regions hold fewer than ${length} bytes`);
      const take = Math.min(left, r.bytes - into);
      spans.push(r.at + into, take);
      left -= take;
      into += take;
      if (into === r.bytes) {
        region++;
        into = 0;
      }
    }
    tasks.push({ entry, offset, length: size, spans, kind: kTaskCopy, graph: -1, first: 0, end: 0 });
  }
  return tasks;
}
