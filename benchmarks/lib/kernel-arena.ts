// A kernel build bound to a fresh shared memory, for comparing builds of the wasm kernels side by side
// (compare/kernel-ab.ts, compare/repair-ab.ts).
import { KernelArena } from '@feather-db/core';

/** A fresh shared memory (or `memory`) whose arena `module` initialised, bound to `module`. */
export function arenaFor(
  module: WebAssembly.Module,
  memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true }),
): KernelArena {
  const init = new WebAssembly.Instance(module, { env: { memory } }).exports as { arenaInit(): number };
  if (init.arenaInit() === 0) throw new Error('could not initialise the arena');
  return KernelArena.attach(memory, module);
}
