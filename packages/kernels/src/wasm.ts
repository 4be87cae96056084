import { readFileSync } from 'node:fs';

/** Pages (64 KiB) a shared kernel memory may grow to: the wasm32 ceiling of 4 GiB. */
export const kMaxMemoryPages = 65536;

/** The raw exports of `build/feather.wasm`; addresses are byte offsets into the shared memory. */
export interface WasmExports {
  readonly memory: WebAssembly.Memory;
  layoutProbe(which: number): number;
  arenaBase(): number;
  arenaInit(): number;
  alloc(bytes: number): number;
  free(at: number, bytes: number): number;
  arenaTop(): number;
  arenaFreeBytes(): number;
  dot(a: number, b: number, dim: number): number;
  l2sq(a: number, b: number, dim: number): number;
  normalize(a: number, dim: number): number;
  distance(metric: number, a: number, b: number, dim: number): number;
  distanceMany(metric: number, q: number, base: number, n: number, dim: number, out: number): void;
  indexCreate(dim: number, metric: number, m: number, efConstruction: number, chunkShift: number, chunkCap: number, flags: number): number;
  quantize(v: number, dim: number, out: number): void;
  dotI8(a: number, b: number, dim: number): number;
  screenLowerBound(metric: number, qBlock: number, xBlock: number, dim: number): number;
  lastScreenedCount(scratch: number): number;
  nodeAddress(index: number, id: number): number;
  vectorAddress(index: number, id: number): number;
  reserve(index: number, level: number, row: number, namespace: number, entity: number): number;
  reserveAt(index: number, id: number, row: number, namespace: number, entity: number): number;
  reserveBulk(index: number, count: number): number;
  restoreNodes(
    index: number,
    first: number,
    end: number,
    count: number,
    maxLevel: number,
    rows: number,
    namespaces: number,
    entities: number,
  ): number;
  restoreUpper(index: number, first: number, end: number, count: number, upper: number, at: number, upperBytes: number): number;
  checkRowMap(index: number, table: number, shift: number, first: number, end: number, count: number): number;
  hashBegin(): void;
  hashStripes(at: number, bytes: number): void;
  hashEnd(at: number, bytes: number, total: number): number;
  lastRestoreReason(): number;
  lastRestoreDeleted(): number;
  lastRestoreUpper(): number;
  setTags(index: number, id: number, namespace: number, entity: number): void;
  nodeRow(index: number, id: number): number;
  setFilter(scratch: number, namespace: number, entity: number, bitmap: number, bits: number): void;
  scanNodes(index: number, scratch: number, k: number, list: number, n: number): number;
  distQ(metric: number, q: number, block: number, dim: number): number;
  dequantize(block: number, dim: number, out: number): void;
  encodeVector(index: number, id: number, src: number): void;
  scratchCreate(visitedCap: number, heapCap: number, dim: number): number;
  search(index: number, scratch: number, k: number, ef: number): number;
  prepareQuery(index: number, scratch: number): void;
  flatSearch(index: number, scratch: number, k: number): number;
  insert(index: number, scratch: number, id: number): number;
  markDeleted(index: number, id: number): number;
  repairNode(index: number, scratch: number, id: number, set: number, bits: number): number;
  repairEntry(index: number, set: number, bits: number): number;
  lastDistanceCount(scratch: number): number;
}

let kModule: WebAssembly.Module | undefined;

/**
 * The compiled kernel module, compiled once per thread. A `WebAssembly.Module` can be posted to workers,
 * which then instantiate it against the same shared memory without recompiling.
 */
export function kernelModule(): WebAssembly.Module {
  kModule ??= new WebAssembly.Module(readFileSync(new URL('../build/feather.wasm', import.meta.url)));
  return kModule;
}

/**
 * A new shared, growable memory for kernels. Shared memories never move when they grow, so views and
 * addresses held by other threads stay valid; each grow only extends the tail.
 */
export function createSharedMemory(initialPages = 16): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: initialPages, maximum: kMaxMemoryPages, shared: true });
}

/** Instantiates the kernels against `memory` (synchronous: the module is small and already compiled). */
export function instantiateKernels(memory: WebAssembly.Memory, module: WebAssembly.Module = kernelModule()): WasmExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as WasmExports;
}
