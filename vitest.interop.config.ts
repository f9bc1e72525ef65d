import { defineConfig } from 'vitest/config';

// Slow suites against the real peer tools (installed by scripts/interop/setup.sh).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // In CI, also a JSON report, from which .ci/run prints one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/test-results/interop.json' }]]
      : ['default'],
    fileParallelism: false,
  },
});
