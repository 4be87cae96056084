// The kernel layout check: core's mirror must agree with the compiled kernels constant by constant, and a
// kernel that disagrees on any one (or defines one more) must be refused before it touches shared memory.
import { createSharedMemory, instantiateKernels, type WasmExports } from '@feather-db/kernels';
import { describe, expect, it } from 'vitest';
import { FeatherError } from '../src/errors.js';
import { verifyLayout } from '../src/layout.js';

function withProbe(wasm: WasmExports, probe: (which: number) => number): WasmExports {
  return { ...wasm, layoutProbe: probe };
}

describe('verifyLayout', () => {
  const wasm = instantiateKernels(createSharedMemory(1));

  it('accepts the kernels it was built with', () => {
    expect(() => verifyLayout(wasm)).not.toThrow();
  });

  it('refuses a kernel whose value of any one constant differs, naming it', () => {
    let count = 0;
    while (wasm.layoutProbe(count) !== -0x8000_0000) count++;
    expect(count).toBeGreaterThan(60);
    for (const changed of [0, 16, count - 1]) {
      const error = (() => {
        try {
          verifyLayout(withProbe(wasm, (i) => (i === changed ? wasm.layoutProbe(i) + 4 : wasm.layoutProbe(i))));
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(FeatherError);
      expect((error as FeatherError).code).toBe('FEATHER_ERR_INTERNAL');
      expect((error as FeatherError).message).toContain(`(probe ${changed})`);
    }
  });

  it('refuses a kernel that defines more constants than the mirror lists', () => {
    let count = 0;
    while (wasm.layoutProbe(count) !== -0x8000_0000) count++;
    expect(() => verifyLayout(withProbe(wasm, (i) => (i === count ? 7 : wasm.layoutProbe(i))))).toThrow(/define more than/);
  });
});
