import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

// The console's unit and component tests on their own (`npm test -w web`); the root `npm test`
// runs the same files when its include lists web/src. Component tests pick jsdom per file.
export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: { '@kaleido/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
