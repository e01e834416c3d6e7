import { defineConfig } from 'vitest/config';

// Root-level suite for the deploy half: chart rendering, workflows (actionlint), image smoke test.
// Run from the repo root: `vitest run --config tests/deploy/vitest.config.ts`.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['tests/deploy/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
  },
});
