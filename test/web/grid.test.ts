// The grid's filters, search, sorting, columns and keyboard, on a run with passing, failing
// and erroring cells: "Failures" shows exactly the failed cells, "Errors" exactly the errored
// ones (both worked out from the API's results, not by the page's code).
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allResults, erroredCells, failedCells, waitForRun } from './expected.js';
import { axeViolations, type Browser, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';

declare const document: { activeElement: { getAttribute(n: string): string | null; closest(s: string): { getAttribute(n: string): string | null } | null } | null };

let server: Server;
let browser: Browser;
let page: Page;
let runPath: string;
let runId: string;

const rows = Array.from({ length: 12 }, (_, i) => ({ q: i % 5 === 0 ? `boom ${i}` : `q${i}`, expected: i % 3 === 0 ? `Q${i}` : `q${i}` }));

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'mixed', name: 'Mixed results',
    dataset: { rows },
    targets: [
      { id: 'same', name: 'Same', type: 'code', code: 'return row.q' },
      { id: 'fragile', name: 'Fragile', type: 'code', code: "if (row.q.startsWith('boom')) throw new Error('boom!'); return row.q.toUpperCase()" },
    ],
    evaluators: [
      { id: 'exact', name: 'Exact', type: 'langevals/exact_match', settings: { case_sensitive: true } },
      { id: 'no-boom', name: 'No boom', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'boom' }] } },
    ],
    execution: { maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const started = (await (await server.t.req('POST', '/api/experiments/mixed/run', { body: {} })).json()) as { runId: string; runUrl: string };
  runId = started.runId;
  await waitForRun(server.t, runId);
  const u = new URL(started.runUrl);
  runPath = u.pathname + u.search;
  browser = await launch();
  ({ page } = await guardedPage(browser, server.url));
  // Tall enough that the 12 rows are all in the DOM (the grid is virtualised).
  await page.setViewportSize({ width: 1440, height: 2400 });
  await page.goto(server.url + runPath);
  await signIn(page, server.t.key);
  await page.locator('[data-cell="11:fragile"]').waitFor();
});

// Each test starts from a freshly loaded run page (the key stays in the tab's sessionStorage).
beforeEach(async () => {
  await page.goto(server.url + runPath);
  await page.locator('[data-cell="11:fragile"]').waitFor();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const shownCells = async (p: Page) => new Set(await p.locator('[data-cell]').evaluateAll((els) => els.map((e) => e.getAttribute('data-cell')!)));

describe('the grid', () => {
  it('shows every cell with its verdict, in row-index order', async () => {
    const results = await allResults(server.t, runId);
    expect(await shownCells(page)).toEqual(new Set(results.cells.map((c) => `${c.index}:${c.targetId}`)));
    const order = await page.locator('[role="grid"] [role="row"][data-row-index]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    const failed = failedCells(results);
    for (const c of results.cells) {
      const verdict = await page.locator(`[data-cell="${c.index}:${c.targetId}"]`).getAttribute('data-verdict');
      expect(verdict === 'passed', `${c.index}:${c.targetId}`).toBe(!failed.has(`${c.index}:${c.targetId}`));
    }
  });

  it('"Failures" shows exactly the failed cells, "Errors" exactly the errored ones', async () => {
    const results = await allResults(server.t, runId);
    const failed = failedCells(results);
    const errored = erroredCells(results);
    expect(failed.size).toBeGreaterThan(errored.size);
    expect(errored.size).toBeGreaterThan(0);

    await page.getByLabel('Failures').check();
    await expect.poll(() => shownCells(page)).toEqual(failed);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Failures').uncheck();
    await page.getByLabel('Errors').check();
    await expect.poll(() => shownCells(page)).toEqual(errored);
    await page.getByLabel('Errors').uncheck();
    await expect.poll(async () => (await shownCells(page)).size).toBe(results.cells.length);
  });

  it('lists the commonest errors under the aggregates, counted from the results', async () => {
    const results = await allResults(server.t, runId);
    const boom = results.cells.filter((c) => c.error !== null && c.targetId === 'fragile');
    expect(boom.length).toBeGreaterThan(0);
    const table = page.getByTestId('common-errors');
    await table.waitFor();
    const firstRow = await table.locator('tbody tr').first().locator('td, th').allTextContents();
    expect(firstRow[0]).toBe(String(boom.length));
    expect(firstRow[1]).toBe('Fragile');
    expect(firstRow[2]).toContain('boom!');
    await table.scrollIntoViewIfNeeded();
    await screenshot(page, 'common-errors');
  });

  it('exports only the cells that did not pass when asked, the same cells "Failures" shows', async () => {
    const failed = failedCells(await allResults(server.t, runId));
    await page.getByLabel('Failed cells only').check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('group', { name: 'Export' }).getByRole('button', { name: 'CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`${runId}-failed.csv`);
    const [header, ...lines] = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    expect(header!.startsWith('index,targetId,')).toBe(true);
    // Index and target come first and are never quoted here (numbers and plain ids).
    expect(new Set(lines.map((l) => l.split(',').slice(0, 2).join(':')))).toEqual(failed);
  });

  it('filters by one evaluator and one target', async () => {
    const results = await allResults(server.t, runId);
    await page.getByLabel('Failures').check();
    await page.getByLabel('Evaluator', { exact: true }).selectOption('no-boom');
    const noBoomFailed = new Set(results.cells.filter((c) => c.error !== null).map((c) => `${c.index}:${c.targetId}`));
    for (const e of results.evaluations) if (e.evaluator === 'no-boom' && (e.status === 'error' || e.passed === false)) noBoomFailed.add(`${e.index}:${e.targetId}`);
    await expect.poll(() => shownCells(page)).toEqual(noBoomFailed);
    // Only that evaluator's badges are shown.
    expect(await page.locator('[data-cell] .badge', { hasText: 'Exact' }).count()).toBe(0);
    await page.getByLabel('Evaluator', { exact: true }).selectOption('');
    await page.getByLabel('Target', { exact: true }).selectOption('same');
    await expect.poll(() => shownCells(page)).toEqual(new Set([...failedCells(results)].filter((k) => k.endsWith(':same'))));
    expect(await page.getByRole('columnheader', { name: 'Fragile' }).count()).toBe(0);
    await page.getByLabel('Target', { exact: true }).selectOption('');
    await page.getByLabel('Failures').uncheck();
  });

  it('searches inputs and outputs as text or as a regular expression', async () => {
    const search = page.getByLabel('Search', { exact: true });
    await search.fill('BOOM 5');
    await expect.poll(() => page.locator('[data-row-index]').evaluateAll((els) => els.map((e) => e.getAttribute('data-row-index')))).toEqual(['5']);
    await page.getByLabel('Regex').check();
    await search.fill('^q1[01]$|Q3');
    await expect.poll(() => page.locator('[data-row-index]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))))).toEqual([3, 11]);
    await search.fill('(');
    await expect.poll(() => page.getByText('Invalid regular expression').count()).toBe(1);
    await search.fill('');
    await page.getByLabel('Regex').uncheck();
    await expect.poll(() => page.locator('[data-row-index]').count()).toBe(12);
  });

  it('sorts by latency and hides columns', async () => {
    const results = await allResults(server.t, runId);
    const mean = (i: number) => {
      const d = results.cells.filter((c) => c.index === i).map((c) => (c as unknown as { duration: number }).duration);
      return d.reduce((a, b) => a + b, 0) / d.length;
    };
    const byLatency = [...Array(12).keys()].sort((a, b) => mean(a) - mean(b) || a - b);
    await page.getByLabel('Sort by').selectOption('latency');
    const idx = () => page.locator('[data-row-index]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))));
    await expect.poll(async () => (await idx()).join()).toBe(byLatency.join());
    await page.getByRole('button', { name: 'Ascending' }).click();
    await expect.poll(async () => (await idx()).join()).toBe([...byLatency].sort((a, b) => mean(b) - mean(a) || a - b).join());
    await page.getByLabel('Sort by').selectOption('row');
    await expect.poll(async () => (await idx()).join()).toBe([...Array(12).keys()].join());

    await page.locator('summary', { hasText: 'Columns' }).click();
    await page.getByRole('group', { name: 'Shown columns' }).getByLabel('expected').uncheck();
    await expect.poll(() => page.getByRole('columnheader', { name: 'expected' }).count()).toBe(0);
    await page.getByRole('group', { name: 'Shown columns' }).getByLabel('expected').check();
    await expect.poll(() => page.getByRole('columnheader', { name: 'expected' }).count()).toBe(1);
    await page.locator('summary', { hasText: 'Columns' }).click();
  });

  it('moves between cells with the arrow keys and opens the drawer with Enter', async () => {
    await page.locator('[data-pos="0"] [data-col="0"]').focus();
    // #, q, expected, Same, Fragile: three steps right is "Same", one down is row 1.
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'ArrowDown']) await page.keyboard.press(key);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-cell'))).toBe('1:same');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-cell'))).toBe('1:fragile');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Row 1 × Fragile' });
    await dialog.waitFor();
    expect(await dialog.getByText('Q1', { exact: true }).count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-cell'))).toBe('1:fragile');
  });

  it('shows a target error and its evaluators in the drawer', async () => {
    await page.locator('[data-cell="5:fragile"]').click();
    const dialog = page.getByRole('dialog', { name: 'Row 5 × Fragile' });
    await dialog.waitFor();
    expect(await dialog.locator('pre.error-text').textContent()).toContain('boom!');
    expect(await dialog.getByText('Attempts').count()).toBe(1);
    await dialog.getByRole('button', { name: 'Close' }).click();
  });
});
