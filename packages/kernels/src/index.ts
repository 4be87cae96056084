export type { WasmExports } from './wasm.js';
export { createSharedMemory, instantiateKernels, kernelModule, kMaxMemoryPages } from './wasm.js';
export { distanceJs, dotJs, l2sqJs, normalizeJs } from './js-kernels.js';
