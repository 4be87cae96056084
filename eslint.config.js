// Type-checked lint for every TypeScript file in the repo, and the recommended rules for its JavaScript (.mjs
// scripts, this file). Blocking in CI (part of `pnpm test`). AssemblyScript is not TypeScript (decorators on
// functions) and is left to asc, which compiles it in the build.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', 'benchmarks/.data/**', 'benchmarks/.compare/**', 'packages/kernels/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Imports flow one way: kernels <- core <- feather-db <- serve <- cli.
      'no-restricted-imports': ['error', { patterns: [{ group: ['../../*/src/*', '../../../packages/*'], message: 'Import workspace packages by name, never by relative path into another package.' }] }],
    },
  },
  {
    files: ['packages/kernels/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@feather-db/*'] }] },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['node:worker_threads', 'worker_threads'], patterns: ['@feather-db/core', '@feather-db/testkit', 'feather-db'] }] },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.node } },
  },
);
