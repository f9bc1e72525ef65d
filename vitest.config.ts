import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/interop/**'],
    testTimeout: 20_000,
    pool: 'forks',
    // In CI, also a JSON report, from which .ci/run prints one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/test-results/unit.json' }]]
      : ['default'],
  },
});
