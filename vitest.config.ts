import { defineConfig } from 'vitest/config';

const EXCLUDE = ['**/node_modules/**', '**/.git/**', 'test/faults/**'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI prints every test name, so its log shows that the PostgreSQL suites ran, and keeps each
    // file's duration (test-results/unit-and-web.json) for .ci/run to list the slowest.
    reporters: process.env.CI ? ['verbose', ['json', { outputFile: 'test-results/unit-and-web.json' }]] : ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Two files at a time, whatever the core count. Vitest's default on this 2-core machine
          // is one (cores − 1), and most files wait on processes, sockets and timers rather than
          // compute: the unit files took 1,583 s one at a time and 831 s two at a time (same
          // session, both beside other work). Their timing bounds are written for a busy machine
          // (STYLE.md); the browser files below stay one at a time.
          maxWorkers: 2,
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
          // The fault-injection suite has its own config and script (npm run test:faults).
          exclude: [...EXCLUDE, 'test/web/**'],
        },
      },
      {
        // The web page in real Chromium. After every other suite (groupOrder) and one file at
        // a time, so their timing figures (paint, longest frame) are not taken on a machine
        // the rest of the suite keeps busy. The global setup rebuilds web/dist when stale.
        extends: true,
        test: {
          name: 'web',
          include: ['test/web/**/*.test.ts'],
          exclude: EXCLUDE,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          globalSetup: ['test/web/global-setup.ts'],
          testTimeout: 120_000,
          // expect.poll gives up after 1 s by default: a keyboard move in a long grid (scroll,
          // mount, focus) took longer once on a loaded CI machine and read <body>. A poll that
          // holds returns at once, so a longer bound costs nothing when it passes.
          expect: { poll: { timeout: 10_000 } },
        },
      },
    ],
  },
});
