import { defineConfig } from 'vitest/config';

// BLE through the virtual radio (scripts/ble/virtual-radio.py, Bumble installed by
// scripts/ble/setup.sh): real host stacks, timed by the air model, so slower than `npm test`.
export default defineConfig({
  test: {
    include: ['test/ble/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // In CI, also a JSON report, from which .ci/run prints one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/test-results/ble.json' }]]
      : ['default'],
    fileParallelism: false,
    // test/ble/*.test.ts skip their radio tests unless this is set (so `npm test` stays fast).
    env: { ZDFU_BLE: '1' },
  },
});
