import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The fault-injection suite has its own config and script (npm run test:faults).
    exclude: ['**/node_modules/**', '**/.git/**', 'test/faults/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI prints every test name, so its log shows that the PostgreSQL suites ran.
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
