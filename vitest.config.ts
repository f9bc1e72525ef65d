import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The BLE suites need the virtual radio: `npm run test:ble` runs them (vitest.ble.config.ts);
    // the real-browser suite needs Chromium: `npm run test:browser` (vitest.browser.config.ts);
    // the fleet suite needs a real hawkBit: `npm run test:fleet` (vitest.fleet.config.ts).
    exclude: ['test/interop/**', 'test/ble/**', 'test/browser/**', 'test/hawkbit/**'],
    testTimeout: 20_000,
    pool: 'forks',
    // In CI, also a JSON report, from which .ci/run prints one closing "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: '.cache/test-results/unit.json' }]]
      : ['default'],
  },
});
