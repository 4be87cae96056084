// The admin page is static files: Vite bundles src/ into dist/, which feather-serve hosts at /admin/.
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the page works under /admin/ and under any prefix a proxy adds in front of it.
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, reportCompressedSize: false },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
