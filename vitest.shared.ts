import { defineConfig } from 'vitest/config';

/**
 * The one test setup of every workspace (each `vitest.config.ts` re-exports it). The JSON report
 * feeds `scripts/test-summary.mjs`; the long hook timeout covers starting redis-server and vcsim
 * on a loaded 2-core CI machine.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
