import { defineConfig } from 'vite';

/** The dashboard is served by the API at `/`; its bundles under `/assets/`. */
export default defineConfig({
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
