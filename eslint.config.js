// Type-checked lint for every TypeScript file in the repo, and the recommended rules for its JavaScript (.mjs
// scripts, this file). Blocking in CI (part of `pnpm test`). AssemblyScript is not TypeScript (decorators on
// functions) and is left to asc, which compiles it in the build.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      '**/node_modules/**',
      'benchmarks/.data/**',
      'benchmarks/.compare/**',
      'packages/kernels/assembly/**',
    ],
  },
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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // Imports flow one way: kernels <- core <- feather-db <- serve <- cli.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../../*/src/*', '../../../packages/*'],
              message: 'Import workspace packages by name, never by relative path into another package.',
            },
          ],
        },
      ],
    },
  },
  // Imports flow one way: cli -> serve -> embed -> feather-db -> core -> kernels (a package never imports one
  // to its left). Each block repeats the relative-path pattern because a later block replaces the rule.
  {
    files: ['packages/feather-db/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../*/src/*', '../../../packages/*'], message: 'Import workspace packages by name.' },
            {
              group: ['@feather-db/embed', '@feather-db/serve', '@feather-db/cli'],
              message: 'feather-db sits below embed, serve and cli: it must not import them.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/embed/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../*/src/*', '../../../packages/*'], message: 'Import workspace packages by name.' },
            { group: ['@feather-db/serve', '@feather-db/cli'], message: 'embed sits below serve and cli: it must not import them.' },
          ],
        },
      ],
    },
  },
  {
    files: ['packages/serve/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../../*/src/*', '../../../packages/*'], message: 'Import workspace packages by name.' },
            { group: ['@feather-db/cli'], message: 'serve sits below cli: it must not import it.' },
          ],
        },
      ],
    },
  },
  {
    // Server and browser tests read JSON answers of a server under test: their shape is what the test asserts,
    // so the parsed body stays `any` instead of a cast per line.
    files: ['test/server/**/*.ts', 'test/browser/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['packages/kernels/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@feather-db/*'] }] },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ['node:worker_threads', 'worker_threads'], patterns: ['@feather-db/core', '@feather-db/testkit', 'feather-db'] },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.node } },
  },
);
