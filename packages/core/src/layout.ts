// Mirror of the byte layouts defined in packages/kernels/assembly/layout.ts (see the OFFSET SIZE
// DESCRIPTION tables there and in docs/architecture.md). verifyLayout() checks this mirror against the
// compiled module whenever a thread binds to a memory (every constant, in order), so a change on one side
// without the other fails loudly, not silently.
import type { WasmExports } from '@feather-db/kernels';
import { FeatherError } from './errors.js';

const kIndexHeaderBytes = 128;
export const kScratchHeaderBytes = 128;
const kArenaCtlBytes = 64;
/** Arena control block: offset of the top pointer (next free byte, atomic). */
export const kArenaTop = 4;
/** Arena control block: the reclamation epoch (docs/adr/0008). */
export const kArenaEpoch = 12;
/** Arena control block: the oldest epoch a reader in flight pinned, kNoPin when none. */
export const kArenaPinned = 16;
/** kArenaPinned when no reader is in flight. */
export const kNoPin = 0xffffffff;

// Index header fields (byte offsets from the index address).
export const kHDim = 4;
export const kHMetric = 8;
export const kHM = 12;
export const kHM0 = 16;
export const kHEfConstruction = 20;
export const kHStride = 24;
export const kHVecOff = 28;
export const kHChunkShift = 32;
export const kHChunkTable = 36;
export const kHChunkCap = 40;
export const kHReserved = 44;
export const kHPublished = 48;
export const kHEntry = 52;
export const kHMaxLevel = 56;
export const kHDeleted = 60;
export const kHDimOrder = 64;
export const kHFlags = 68;
export const kHCodeOff = 72;
export const kHPubEntry = 80;
export const kHPubMaxLevel = 84;
/** Spinlock word (0 free, 1 held) of an insert that raises the max level. */
export const kHGlobalLock = 76;
/** Spinlock word (0 free, 1 held) serialising advances of `published`. */
export const kHPublishLock = 88;
/** Retired nodes waiting for reuse (kept by the writer). */
export const kHFreeNodes = 124;
/** 1 once the writer retired the index (compaction, a storage change): threads drop their handles on it. */
export const kHRetired = 120;
/** Index flag: every node block carries int8 screening codes. */
export const kFlagScreening = 1;
/** Index flag: node blocks store an int8 block (scale header + codes) instead of the float32 vector. */
export const kFlagInt8 = 2;
/** "Any" value of the namespace and entity filter tags. */
export const kTagAny = 0xffffffff;

// Node block fields (byte offsets from the node address).
export const kNLock = 0;
export const kNLevelFlags = 4;
export const kNUpper = 8;
export const kNRow = 12;
export const kNNamespace = 16;
export const kNEntity = 20;
export const kNCount0 = 28;
const kNLinks0 = 32;
export const kFlagDeleted = 0x100;
/** Node flag: fully linked; other inserters may traverse it. */
export const kFlagComplete = 0x200;
/** Node flag: the vector region was loaded raw (already normalised); insert leaves it as it is. */
export const kFlagNormalized = 0x400;
/** Node flag: a reused slot being linked again, skipped by searches until its insert completes. */
export const kFlagHidden = 0x800;

// Scratch fields.
const kSHeapCap = 8;
const kSVisitedCap = 0;
export const kSQuery = 28;
export const kSOut = 32;
export const kSDistCount = 36;
const kSCandCap = 40;
export const kSScreened = 52;
const kSDecode = 60;
const kSFilterBits = 76;

/** Metric codes stored in the index header. */
export const kMetricCode = { ip: 0, l2: 1, cosine: 2 } as const;

// Negative returns of the wasm entry points.
export const kWasmErrOutOfMemory = -1;
export const kWasmErrScratchTooSmall = -2;
export const kWasmErrChunkTableFull = -3;

/**
 * Every constant of packages/kernels/assembly/layout.ts, in its declaration order (layoutProbe answers by
 * position), under its kernel name. The ones core uses are the exports above; the rest are listed only to be
 * checked, so that no constant of the shared layout can drift unnoticed.
 */
const kKernelLayout: Readonly<Record<string, number>> = {
  kIndexMagic: 0x57484546,
  kArenaMagic: 0x41524546,
  kIndexHeaderBytes,
  kScratchHeaderBytes,
  kArenaCtlBytes,
  kHDim,
  kHMetric,
  kHM,
  kHM0,
  kHEfConstruction,
  kHStride,
  kHVecOff,
  kHChunkShift,
  kHChunkTable,
  kHChunkCap,
  kHReserved,
  kHPublished,
  kHEntry,
  kHMaxLevel,
  kHDeleted,
  kHDimOrder,
  kHFlags,
  kHCodeOff,
  kHGlobalLock,
  kHPubEntry,
  kHPubMaxLevel,
  kHPublishLock,
  kFlagScreening,
  kFlagInt8,
  kNLock,
  kNLevelFlags,
  kNUpper,
  kNRow,
  kNNamespace,
  kNEntity,
  kNCount0,
  kNLinks0,
  kFlagDeleted,
  kFlagComplete,
  kFlagNormalized,
  kSVisitedCap,
  kSEpoch: 4,
  kSHeapCap,
  kSVisited: 12,
  kSCand: 16,
  kSRes: 20,
  kSSel: 24,
  kSQuery,
  kSOut,
  kSDistCount,
  kSCandCap,
  kSSink: 44,
  kSQueryCodes: 48,
  kSScreened,
  kSLinkBuf: 56,
  kSDecode,
  kSFilterNs: 64,
  kSFilterEntity: 68,
  kSFilterBitmap: 72,
  kSFilterBits,
  kAny: kTagAny,
  kMetricQuantised: 4,
  kAMagic: 0,
  kATop: kArenaTop,
  kAHigh: 8,
  kMetricIp: kMetricCode.ip,
  kMetricL2: kMetricCode.l2,
  kMetricCosine: kMetricCode.cosine,
  kErrOutOfMemory: kWasmErrOutOfMemory,
  kErrScratchTooSmall: kWasmErrScratchTooSmall,
  kErrChunkTableFull: kWasmErrChunkTableFull,
  kFlagHidden,
  kAEpoch: kArenaEpoch,
  kAPinned: kArenaPinned,
  kAFreeLock: 20,
  kAFreeHead: 24,
  kAFreeBytes: 28,
  kNoPin,
  kHFreeNodes,
  kHRetired,
  kHLostNode: 92,
};

/** What layoutProbe answers past the last constant (a value no constant has). */
const kProbeEnd = -0x8000_0000;

/**
 * Checks every constant above against the compiled kernels, and that both sides list the same number of
 * them. Runs whenever a thread binds to a memory, so a layout changed on one side only fails at once.
 * @throws FEATHER_ERR_INTERNAL naming the first constant that differs.
 */
export function verifyLayout(wasm: WasmExports): void {
  const names = Object.keys(kKernelLayout);
  names.forEach((name, probe) => {
    const expected = kKernelLayout[name] | 0;
    const got = wasm.layoutProbe(probe);
    if (got !== expected) {
      throw new FeatherError(
        'FEATHER_ERR_INTERNAL',
        `Kernel layout mismatch: ${name} (probe ${probe}) is ${got} in wasm but ${expected} in core/layout.ts; rebuild @feather-db/kernels and @feather-db/core together`,
      );
    }
  });
  if (wasm.layoutProbe(names.length) !== kProbeEnd) {
    throw new FeatherError(
      'FEATHER_ERR_INTERNAL',
      `Kernel layout mismatch: the kernels define more than the ${names.length} constants core/layout.ts checks; add the new ones to kKernelLayout`,
    );
  }
}
