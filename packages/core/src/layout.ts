// Mirror of the byte layouts defined in packages/kernels/assembly/index.ts (see the OFFSET SIZE
// DESCRIPTION tables there and in docs/architecture.md). verifyLayout() checks this mirror against the
// compiled module at startup, so a change on one side without the other fails loudly, not silently.
import type { WasmExports } from '@feather-db/kernels';
import { FeatherError } from './errors.js';

export const kIndexHeaderBytes = 128;
export const kScratchHeaderBytes = 128;
export const kArenaCtlBytes = 64;
/** Arena control block: offset of the top pointer (next free byte, atomic). */
export const kArenaTop = 4;

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
export const kNLinks0 = 32;
export const kFlagDeleted = 0x100;
/** Node flag: fully linked; other inserters may traverse it. */
export const kFlagComplete = 0x200;
/** Node flag: the vector region was loaded raw (already normalised); insert leaves it as it is. */
export const kFlagNormalized = 0x400;

// Scratch fields.
export const kSHeapCap = 8;
export const kSVisitedCap = 0;
export const kSQuery = 28;
export const kSOut = 32;
export const kSDistCount = 36;
export const kSCandCap = 40;
export const kSScreened = 52;
export const kSDecode = 60;
export const kSFilterBits = 76;

/** Metric codes stored in the index header. */
export const kMetricCode = { ip: 0, l2: 1, cosine: 2 } as const;

// Negative returns of the wasm entry points.
export const kWasmErrOutOfMemory = -1;
export const kWasmErrScratchTooSmall = -2;
export const kWasmErrChunkTableFull = -3;

export function verifyLayout(wasm: WasmExports): void {
  const expected: [number, number][] = [
    [0, kIndexHeaderBytes],
    [1, kScratchHeaderBytes],
    [2, kArenaCtlBytes],
    [3, kHPublished],
    [4, kHEntry],
    [5, kNLinks0],
    [6, kSOut],
    [7, kFlagDeleted],
    [8, kHDeleted],
    [9, kSDistCount],
    [10, kSCandCap],
    [11, kHDimOrder],
    [12, kHFlags],
    [13, kSScreened],
    [14, kHPubEntry],
    [15, kFlagComplete],
    [16, kNRow],
    [17, kNEntity],
    [18, kSFilterBits],
    [19, kFlagInt8],
    [20, kSDecode],
  ];
  for (const [probe, value] of expected) {
    const got = wasm.layoutProbe(probe);
    if (got !== value) {
      throw new FeatherError('FEATHER_ERR_INTERNAL', `Kernel layout mismatch: probe ${probe} is ${got} in wasm but ${value} in core/layout.ts; rebuild @feather-db/kernels and @feather-db/core together`);
    }
  }
}
