import { defineConfig } from 'vitest/config';

// One vitest run covers every package's unit tests and the integration tests in test/.
// Workers load from dist/, so `pnpm test` builds first (turbo: build before test).
export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/setup/temp-root.ts'],
  },
});
