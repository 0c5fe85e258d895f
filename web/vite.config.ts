// Builds the run page into web/dist, which the API server serves (src/http/routes/web-page.ts).
// No React plugin: Vite's own transform (oxc) compiles TSX with the automatic JSX runtime, and
// the page needs no fast refresh. Assets go to /_app/ with content hashes (cached forever).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: '_app',
    target: 'es2022',
    // The polyfill would be an inline script, which the page's CSP refuses; every browser
    // the page supports has modulepreload.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    rolldownOptions: {
      // React libraries mark their modules 'use client' for server components; meaningless
      // in a client-only bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
});
