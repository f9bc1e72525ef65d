import { defineConfig } from 'vitest/config';

// The fleet suite against a real Eclipse hawkBit (scripts/hawkbit/setup.sh builds it; npm run
// test:fleet). One hawkBit per run, started by the globalSetup and shared by the files, which run
// one after another: a thousand virtual boards and a JVM already fill the machine's two cores.
export default defineConfig({
  test: {
    include: ['test/hawkbit/**/*.test.ts'],
    globalSetup: ['test/hawkbit/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    pool: 'forks',
    fileParallelism: false,
    // In CI, also a JSON report, from which .ci/run prints one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/test-results/fleet.json' }]]
      : ['default'],
  },
});
