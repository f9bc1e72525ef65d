import { defineConfig } from 'vitest/config';

// The real-browser suite: Debian's Chromium driven by playwright-core (scripts/browser/setup.sh
// installs it). Each test file starts its own browser and virtual boards; files run one after
// another so two Chromiums do not compete for the machine's two cores.
export default defineConfig({
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    // In CI, also a JSON report, from which .ci/run prints one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/test-results/browser.json' }]]
      : ['default'],
  },
});
