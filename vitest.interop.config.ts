import { defineConfig } from 'vitest/config';

// Slow suites against the real peer tools (installed by scripts/interop/setup.sh).
export default defineConfig({
  test: {
    include: ['test/interop/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
