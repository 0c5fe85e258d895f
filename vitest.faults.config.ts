import { defineConfig } from 'vitest/config';

// The fault-injection suite (issue 6): real `assay serve` processes, real HTTP, real SQLite,
// faults injected from outside. Run by `npm run test:faults` (and `.ci/run`), not `npm test`.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
