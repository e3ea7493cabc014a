import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests use the client from source so that `npm test` does not depend on a prior build.
    alias: { '@kaleido/client': fileURLToPath(new URL('./client/src/index.ts', import.meta.url)) },
  },
  test: {
    include: [
      'src/**/*.test.ts',
      'client/src/**/*.test.ts',
      'test/**/*.test.ts',
      'scripts/**/*.test.ts',
      'web/src/**/*.test.{ts,tsx}',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts', 'client/src/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      thresholds: { 'src/core/**': { lines: 90 } },
    },
  },
});
