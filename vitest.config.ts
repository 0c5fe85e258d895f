import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI prints every test name, so its log shows that the PostgreSQL suites ran.
    reporters: process.env.CI ? ['verbose'] : ['default'],
  },
});
