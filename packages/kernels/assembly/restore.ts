import { kFlagComplete, kFlagDeleted, kFlagNormalized, kHM, kHM0, kNCount0, kNEntity, kNLevelFlags, kNLock, kNNamespace, kNRow, kNUpper } from './layout';
import { nodeAddr } from './graph';

// ---- restore: validation of node blocks copied from a file ---------------------------------------------

export let restoreReason: i32 = 0;
export let restoreDeleted: u32 = 0;
export let restoreUpperBytes: u32 = 0;

/** Why the last restore check failed: 1 flags or level, 2 tags, 3 links, 4 upper blocks short, 6 row map. */
export function lastRestoreReason(): i32 {
  return restoreReason;
}

/** Tombstones among the nodes of the last restoreNodes range. */
export function lastRestoreDeleted(): u32 {
  return restoreDeleted;
}

/** Bytes of upper blocks the levels of the last restoreNodes range need. */
export function lastRestoreUpper(): u32 {
  return restoreUpperBytes;
}

@inline export function linksValid(at: u32, cap: u32, n: u32, id: u32): bool {
  const count = load<u32>(at);
  if (count > cap) return false;
  for (let j: u32 = 1; j <= count; j++) {
    const link = load<u32>(at + (j << 2));
    if (link >= n || link == id) return false;
  }
  return true;
}

/**
 * Phase one of a restore: checks node blocks [first, end) of n copied verbatim from a file (flags, level at most
 * the max level unless deleted, tags below the record limits, every level-0 link in range and not a self loop)
 * and clears their seqlocks; counts their tombstones (lastRestoreDeleted) and the upper-block bytes their levels
 * need (lastRestoreUpper).
 * Ranges are independent, so threads check different ranges at once, each right after copying it (while it
 * is in cache). Returns -1 when valid, else the first bad node; the reason is lastRestoreReason().
 */
export function restoreNodes(h: u32, first: u32, end: u32, n: u32, maxLevel: u32, rows: u32, namespaces: u32, entities: u32): i32 {
  const m0 = load<u32>(h, kHM0);
  const block = (1 + load<u32>(h, kHM)) << 2;
  const known = 0xff | kFlagDeleted | kFlagComplete | kFlagNormalized;
  let deleted: u32 = 0;
  let upper: u64 = 0;
  for (let id = first; id < end; id++) {
    const node = nodeAddr(h, id);
    const flags = load<u32>(node, kNLevelFlags);
    const level = flags & 0xff;
    restoreReason = 1;
    // A deleted node may sit above the max level: a repair that retires the top level moves the entry down
    // and lowers the max level, while retired slots keep their levels for reuse (docs/adr/0008).
    if ((flags & ~known) != 0 || (flags & kFlagComplete) == 0 || (level > maxLevel && (flags & kFlagDeleted) == 0)) return <i32>id;
    if ((flags & kFlagDeleted) != 0) deleted++;
    restoreReason = 2;
    if (load<u32>(node, kNRow) >= rows || load<u32>(node, kNNamespace) >= namespaces || load<u32>(node, kNEntity) > entities) return <i32>id;
    restoreReason = 3;
    if (!linksValid(node + kNCount0, m0, n, id)) return <i32>id;
    store<u32>(node, 0, kNLock);
    store<u32>(node, 0, kNUpper);
    upper += <u64>(level * block);
  }
  restoreReason = 4;
  if (upper > 0xffff_ffff) return <i32>first;
  restoreDeleted = deleted;
  restoreUpperBytes = <u32>upper;
  restoreReason = 0;
  return -1;
}

/**
 * Phase two of a restore, once every range passed phase one: points each node of [first, end) with upper
 * levels at its slice of the upper blocks copied to `upper` (`upperBytes` long, in node order), starting
 * `at` bytes in, and checks those links. Returns -1 when valid, else the first bad node (reason as above).
 */
export function restoreUpper(h: u32, first: u32, end: u32, n: u32, upper: u32, at: u32, upperBytes: u32): i32 {
  const m = load<u32>(h, kHM);
  const block = (1 + m) << 2;
  for (let id = first; id < end; id++) {
    const node = nodeAddr(h, id);
    const level = load<u32>(node, kNLevelFlags) & 0xff;
    if (level == 0) continue;
    restoreReason = 4;
    if (<u64>at + <u64>(level * block) > <u64>upperBytes) return <i32>id;
    store<u32>(node, upper + at, kNUpper);
    restoreReason = 3;
    for (let l: u32 = 0; l < level; l++) if (!linksValid(upper + at + l * block, m, n, id)) return <i32>id;
    at += level * block;
  }
  restoreReason = 0;
  return -1;
}

/**
 * Checks rows [first, end) of a row map loaded from a file: u32 slots of node + 1 (0 = none) in chunks of
 * 2^shift slots whose addresses are in `table`. Every mapped node must be below n, untombstoned and tagged
 * with its row. Returns how many of those rows map to a node, or -(row + 1) for the first bad row.
 */
export function checkRowMap(h: u32, table: u32, shift: u32, first: u32, end: u32, n: u32): i32 {
  let mapped: i32 = 0;
  restoreReason = 6;
  for (let row = first; row < end; row++) {
    const v = load<u32>(load<u32>(table + ((row >> shift) << 2)) + ((row & ((1 << shift) - 1)) << 2));
    if (v == 0) continue;
    const id = v - 1;
    if (id >= n) return -(<i32>row) - 1;
    const node = nodeAddr(h, id);
    if (load<u32>(node, kNRow) != row || (load<u32>(node, kNLevelFlags) & kFlagDeleted) != 0) return -(<i32>row) - 1;
    mapped++;
  }
  restoreReason = 0;
  return mapped;
}

/** Re-tags node `id` after its record moved namespace or entity. */
