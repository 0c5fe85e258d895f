// Compare mode and reviews on the run page, in real Chromium against a real server: two runs
// of one experiment, the second worse on the odd rows and better on two others. Compare mode
// (default baseline: the previous finished run) marks exactly the rows the compare API says
// regressed or improved, "Changed against baseline" keeps only those, and a review made in the
// drawer is stored (the API lists it), moves the header's reviewed figures, survives a reload,
// and leaves the evaluator's verdict as it was.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/client/index.js';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';

let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];
let runPath: string;
let runId: string;
let baselineId: string;

const ROWS = 24;

beforeAll(async () => {
  server = await startServer();
  // `mode` comes from the run's parameters (they do not change how rows pair up): the old mode
  // gets rows 0 and 12 wrong, the new one every odd row.
  const doc = {
    slug: 'support-bot', name: 'Support bot',
    dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ i, question: `Question ${i}`, expected: `Answer ${i}` })) },
    targets: [{ id: 'bot', name: 'Bot', type: 'code', code: "if (row.mode === 'new' ? row.i % 2 === 1 : row.i % 12 === 0) return 'I do not know'; return row.expected" }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const start = async (mode: string) => {
    const res = await server.t.req('POST', '/api/experiments/support-bot/run', { body: { parameters: { mode } } });
    const started = (await res.json()) as { runId: string; runUrl: string };
    await waitForRun(server.t, started.runId);
    return started;
  };
  baselineId = (await start('old')).runId;
  const candidate = await start('new');
  runId = candidate.runId;
  const u = new URL(candidate.runUrl);
  runPath = u.pathname + u.search;
  browser = await launch();
  ({ page, problems } = await guardedPage(browser, server.url));
  // Tall enough that all rows are in the DOM (the grid is virtualised).
  await page.setViewportSize({ width: 1440, height: 3200 });
  await page.goto(server.url + runPath);
  await signIn(page, server.t.key);
  await page.locator(`[data-cell="${ROWS - 1}:bot"]`).waitFor();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** A screenshot at a screen's height (the test's viewport is tall to keep every row in the DOM). */
async function framed(p: Page, name: string): Promise<void> {
  await p.setViewportSize({ width: 1440, height: 1000 });
  await screenshot(p, name);
  await p.setViewportSize({ width: 1440, height: 3200 });
}

const rowsWith = (p: Page, change: string) =>
  p.locator(`[role="grid"] [role="row"][data-change="${change}"]`).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))).sort((a, b) => a - b));

describe('compare mode', () => {
  it('marks exactly the rows the compare API finds regressed or improved against the previous run', async () => {
    const api: Comparison = await server.t.client.compare(runId, { change: 'changed', limit: 1000 });
    expect(api.baselineRunId).toBe(baselineId);
    const expected = (change: string) => [...new Set(api.rows.items.filter((i) => i.change === change).map((i) => i.rowIndex))].sort((a, b) => a - b);
    // The API agrees with the construction: odd rows regressed, rows 0 and 12 improved.
    expect(expected('regressed')).toEqual(Array.from({ length: ROWS / 2 }, (_, k) => 2 * k + 1));
    expect(expected('improved')).toEqual([0, 12]);

    // Nothing is marked before compare mode is on.
    expect(await rowsWith(page, 'regressed')).toEqual([]);
    await page.getByLabel('Compare mode').check();
    const verdict = page.getByTestId('compare-verdict');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-verdict')).toBe('regressed');
    expect(await verdict.textContent()).toBe('Regressed');
    await expect.poll(() => rowsWith(page, 'regressed')).toEqual(expected('regressed'));
    expect(await rowsWith(page, 'improved')).toEqual(expected('improved'));
    // The marker reads as words on the cell, not colour alone.
    expect(await page.locator('[data-cell="1:bot"] [data-testid="change-marker"]').textContent()).toContain('regressed');
    expect(await page.locator('[data-cell="12:bot"] [data-testid="change-marker"]').textContent()).toContain('improved');
    expect(await page.locator('[data-cell="2:bot"] [data-testid="change-marker"]').count()).toBe(0);

    // The per evaluator × target row: 91.7% → 50.0%, significant.
    const row = page.locator('.compare-table tbody tr').first();
    expect(await row.getAttribute('data-change')).toBe('regressed');
    const cells = await row.locator('th, td').allTextContents();
    expect(cells.slice(0, 5)).toEqual(['Exact', 'Bot', '91.7%', '50.0%', '−41.7 pts']);
    expect(cells[6]).toBe('yes, worse');
    expect(await page.getByTestId('compare-counts').textContent()).toContain('12 regressed, 2 improved, 10 unchanged');
    // Per target: no errors on either side.
    expect((await page.locator('.compare-targets tbody tr').first().locator('th, td').allTextContents())[4]).toBe('0 → 0');

    expect(await axeViolations(page)).toEqual([]);
    await framed(page, 'compare');
  });

  it('"Changed against baseline" keeps only the changed rows, and a chosen baseline can be itself compared', async () => {
    await page.getByLabel('Changed against baseline').check();
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe('14 of 24 rows');
    const shown = await page.locator('[role="grid"] [role="row"][data-row-index]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))));
    expect(shown).toEqual([0, 12, ...Array.from({ length: ROWS / 2 }, (_, k) => 2 * k + 1)].sort((a, b) => a - b));
    await page.getByLabel('Changed against baseline').uncheck();
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe('24 of 24 rows');

    // Picking the same baseline explicitly gives the same comparison.
    const picker = page.getByLabel('Baseline', { exact: true });
    await picker.locator(`option[value="${baselineId}"]`).waitFor({ state: 'attached' });
    await picker.selectOption(baselineId);
    await expect.poll(() => rowsWith(page, 'improved')).toEqual([0, 12]);
    expect(await page.locator('.compare-verdict .mono').textContent()).toBe(baselineId);
  });
});

describe('compare mode in the address', () => {
  it('is written to the page address as it is chosen, and a link with it opens the same comparison', async () => {
    const p = (await guardedPage(browser, server.url)).page;
    await p.setViewportSize({ width: 1440, height: 1000 });
    await p.goto(server.url + runPath);
    await signIn(p, server.t.key);
    await p.locator('[data-cell="0:bot"]').waitFor();
    await p.getByLabel('Compare mode').check();
    await expect.poll(() => new URL(p.url()).searchParams.get('compare')).toBe('1');
    const picker = p.getByLabel('Baseline', { exact: true });
    await picker.locator(`option[value="${baselineId}"]`).waitFor({ state: 'attached' });
    await picker.selectOption(baselineId);
    await expect.poll(() => new URL(p.url()).searchParams.get('baseline')).toBe(baselineId);
    const link = p.url();
    expect(new URL(link).searchParams.get('runId')).toBe(runId);

    // The link, opened by someone else: compare mode on, against that baseline.
    const other = (await guardedPage(browser, server.url)).page;
    await other.goto(server.url + '/');
    await signIn(other, server.t.key);
    await other.getByRole('heading', { name: 'Experiments' }).waitFor();
    await other.goto(link);
    await expect.poll(() => other.getByTestId('compare-verdict').getAttribute('data-verdict')).toBe('regressed');
    expect(await other.getByLabel('Compare mode').isChecked()).toBe(true);
    expect(await other.locator('.compare-verdict .mono').textContent()).toBe(baselineId);
    expect(await other.getByLabel('Baseline', { exact: true }).inputValue()).toBe(baselineId);
    // Turned off, the address forgets it.
    await p.getByLabel('Compare mode').uncheck();
    await expect.poll(() => new URL(p.url()).searchParams.has('compare')).toBe(false);
    expect(new URL(p.url()).searchParams.has('baseline')).toBe(false);
    await other.close();
    await p.close();
  });
});

describe('compare mode over runs that share no row', () => {
  it('says there is nothing to compare, not "no significant change"', async () => {
    const start = async (rows: number[], baselineRunId?: string) => {
      const res = await server.t.req('POST', '/api/experiments/support-bot/run', { body: { parameters: { mode: 'old' }, row_indices: rows, baselineRunId } });
      const started = (await res.json()) as { runId: string; runUrl: string };
      await waitForRun(server.t, started.runId);
      return started;
    };
    // The baseline named: `previous` would pass over a run of other rows for one that covers these.
    const first = await start([0, 1, 2]);
    const other = await start([20, 21, 22], first.runId);
    const u = new URL(other.runUrl);
    const p = (await guardedPage(browser, server.url)).page;
    await p.goto(server.url + u.pathname + u.search);
    await signIn(p, server.t.key);
    await p.locator('[data-cell="22:bot"]').waitFor();
    await p.getByLabel('Compare mode').check();
    const verdict = p.getByTestId('compare-verdict');
    await verdict.waitFor();
    expect(await verdict.textContent()).toBe('Nothing to compare');
    expect(await p.locator('.compare-verdict').textContent()).toContain('0 matched');
    await p.close();
  });
});

describe('reviews in the drawer', () => {
  it('a review round-trips: stored with the key, counted in the header, listed after a reload; the verdict stays', async () => {
    // Nothing reviewed yet: the header has no reviewed figures.
    expect(await page.getByTestId('reviewed').count()).toBe(0);
    await page.locator('[data-cell="1:bot"]').click();
    const drawer = page.getByRole('dialog');
    await drawer.waitFor();
    // The drawer shows the baseline's output for a changed cell.
    expect(await drawer.locator('.against-baseline').textContent()).toContain('Answer 1');
    // …and a word-level diff: the baseline's words struck out, this run's added.
    const diff = drawer.locator('.output-diff');
    await diff.waitFor();
    expect((await diff.locator('del').allTextContents()).join('')).toContain('Answer');
    expect((await diff.locator('ins').allTextContents()).join('')).toContain('know');
    expect((await diff.textContent())?.replace(/\s+/g, ' ')).toMatch(/Answer.*1|I do not know/);
    await drawer.getByLabel('Passed').check();
    await drawer.getByLabel('Of').selectOption({ label: 'Exact' });
    await drawer.getByLabel('Comment').fill('"I do not know" is the honest answer for this one');
    await drawer.getByRole('button', { name: 'Save review' }).click();
    await drawer.getByText('Review saved: passed').waitFor();

    // Stored on the server, with the key's prefix as the reviewer.
    const list = await server.t.client.reviews(runId);
    expect(list.reviews).toEqual([
      expect.objectContaining({ rowIndex: 1, targetId: 'bot', repeat: 0, evaluatorId: 'exact', verdict: 'passed', comment: '"I do not know" is the honest answer for this one', reviewer: `${server.t.key.slice(0, 10)}…` }),
    ]);
    // The header reads the server's reviewed figures: 12 of 24 passed, 13 once reviewed.
    await expect.poll(() => page.getByTestId('reviewed').textContent()).toBe('1');
    expect(await page.getByTestId('reviewed-pass-rate').textContent()).toBe('54.2%');
    expect(await page.getByTestId('pass-rate').textContent()).toBe('50.0%');
    expect(await drawer.getByTestId('reviews').textContent()).toContain('honest answer');
    // The grid marks the reviewed cell, and only it.
    expect(await page.locator('[data-testid="reviewed-mark"]').count()).toBe(1);
    expect(await page.locator('[data-cell="1:bot"] [data-testid="reviewed-mark"]').count()).toBe(1);

    expect(await axeViolations(page)).toEqual([]);
    await framed(page, 'review');

    // After a reload the review comes back from the server; the evaluator's verdict is unchanged.
    await page.keyboard.press('Escape');
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="1:bot"]').waitFor();
    expect(await page.locator('[data-cell="1:bot"]').getAttribute('data-verdict')).toBe('failed');
    await page.locator('[data-cell="1:bot"]').click();
    await page.getByRole('dialog').getByTestId('reviews').waitFor();
    expect(await page.getByRole('dialog').getByTestId('reviews').textContent()).toContain('passed Exact');
    expect(await page.getByTestId('reviewed-pass-rate').textContent()).toBe('54.2%');
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
  });
});
