import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by the Kaleido server at `/` (src/server/routes/web-ui.ts), so assets are
// absolute under /assets/ and content-hashed (cached as immutable there).
export default defineConfig({
  plugins: [react()],
  base: '/',
  resolve: {
    // The typed client from source: the console builds without building client/ first.
    alias: { '@kaleido/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)) },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: a single entry chunk plus lazily loaded pages.
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npm run dev -w web` against a server on :8000 (`npm run dev` at the root).
    proxy: Object.fromEntries(
      ['/v1', '/v2', '/api', '/metrics'].map((p) => [p, { target: 'http://127.0.0.1:8000' }]),
    ),
  },
});
