// A run whose outputs are a megabyte each: the results API cuts its pages at 4 MB, so the page
// must follow `nextOffset` rather than stop at the first page shorter than it asked for (it
// showed the first four rows and left the rest empty).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, guardedPage, launch, onServer, type Server, signIn, startServer } from './browser.js';
import { waitForRun } from './expected.js';

declare const document: { querySelector(s: string): { scrollTop: number; scrollHeight: number } | null };

const ROWS = 20;
let server: Server;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'wide', name: 'Megabyte outputs',
    dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ q: `row-${i}` })) },
    targets: [{ id: 'big', name: 'Big', type: 'code', code: "return row.q + ' ' + 'x'.repeat(1000000)" }],
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const started = (await (await server.t.req('POST', '/api/experiments/wide/run', { body: {} })).json()) as { runId: string; runUrl: string };
  expect((await waitForRun(server.t, started.runId, 60_000)).status).toBe('completed');
  browser = await launch();
  ({ page } = await guardedPage(browser, server.url));
  await page.goto(onServer(server, started.runUrl));
  await signIn(page, server.t.key);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a run of megabyte outputs on the run page', () => {
  it('shows the output of every row, past the first page of results', async () => {
    await expect.poll(async () => (await page.locator('[data-cell="0:big"]').textContent()) ?? '').toContain('row-0 xxx');
    // The grid draws only the rows in view: scroll it to its end.
    const last = page.locator(`[data-cell="${ROWS - 1}:big"]`);
    await expect
      .poll(async () => {
        await page.evaluate(() => {
          const el = document.querySelector('.grid-scroll')!;
          el.scrollTop = el.scrollHeight;
        });
        return (await last.count()) > 0 ? ((await last.textContent()) ?? '') : '';
      })
      .toContain(`row-${ROWS - 1} xxx`);
  });
});
