// A run with repeats, on the run page: grid cells whose badges carry "passed/n" and a score,
// in compare mode too, never overlap and end cut text in an ellipsis (the tooltip has it
// whole); the Evaluators table shows the summary's interval, standard error and flaky rows, a
// "Flaky only" filter keeps the cells whose repeats disagree, a skipped evaluator reads
// skipped, not "0/3"; each repeat's review form in the drawer has its own status, keeps its
// comment, and the drawer steps to the previous and next cell.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, closeAll, launch, screenshot, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let agent: FakeAgent;
let browser: Browser;
let page: Page;
let runPath: string;
let runId: string;

declare const document: { activeElement: { closest(s: string): { getAttribute(n: string): string | null } | null } | null };
declare function getComputedStyle(el: unknown): { textOverflow: string };
type HTMLElement = { className: string; textContent: string | null; scrollWidth: number; clientWidth: number; closest(s: string): { getAttribute(n: string): string | null } | null; getBoundingClientRect(): { left: number; right: number; width: number } };

const ROWS = 8;
/** Rows 0–5 have an expected answer; rows 6 and 7 none, so Exact skips them. */
const rows = Array.from({ length: ROWS }, (_, i) => (i < 6 ? { question: `What is the capital of country number ${i}?`, expected: `answer ${i}` } : { question: `What is the capital of country number ${i}?` }));

beforeAll(async () => {
  server = await startServer();
  // In the second run, odd rows answer wrong on one call in three: with 3 repeats, 2 of 3
  // pass (flaky), and they regressed against the first run, which answered right.
  const calls = new Map<string, number>();
  let flaky = false;
  agent = await startFakeAgent({
    reply: (m) => {
      const q = String(m);
      const n = calls.get(q) ?? 0;
      calls.set(q, n + 1);
      const i = Number(/number (\d+)/.exec(q)?.[1]);
      return flaky && i % 2 === 1 && n % 3 === 1 ? 'I do not know' : `answer ${i}`;
    },
  });
  const doc = {
    slug: 'repeated', name: 'Repeated',
    dataset: { rows },
    targets: [
      { id: 'bot', name: 'Capital bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply' },
      { id: 'echo', name: 'Echo', type: 'code', code: "return row.expected ?? 'answer none'" },
    ],
    evaluators: [
      { id: 'exact', name: 'Exact answer match', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'quality', name: 'Answer quality judge', type: 'custom_code', settings: { code: 'return { passed: output.startsWith("answer"), score: output.startsWith("answer") ? 76.52 : 12.25 }' } },
    ],
    execution: { repeats: 3, concurrency: 4, maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  let started: { runId: string; runUrl: string } | undefined;
  // Two runs: compare mode has a baseline.
  for (let i = 0; i < 2; i++) {
    started = (await (await server.t.req('POST', '/api/experiments/repeated/run', { body: {} })).json()) as { runId: string; runUrl: string };
    await waitForRun(server.t, started.runId);
    flaky = true;
  }
  runId = started!.runId;
  runPath = new URL(started!.runUrl).pathname + new URL(started!.runUrl).search;
  browser = await launch();
  ({ page } = await signedInOnList(browser, server));
});
afterAll(() => closeAll(browser, agent, server));

async function open(p: Page): Promise<void> {
  await p.setViewportSize({ width: 1100, height: 1000 });
  await p.goto(server.url + runPath);
  await p.locator(`[data-cell="${ROWS - 1}:bot"]`).waitFor();
}

/** Pairs of a cell footer's items that overlap, and cut items without an ellipsis or a tooltip. */
const footProblems = (p: Page) =>
  p.locator('[role="grid"] .cell-foot').evaluateAll((feet) => {
    const problems: string[] = [];
    for (const foot of feet) {
      const cell = foot.closest('[data-cell]')?.getAttribute('data-cell');
      const box = foot.getBoundingClientRect();
      const items = [...foot.children] as HTMLElement[];
      const rects = items.map((el) => el.getBoundingClientRect());
      rects.forEach((r, i) => {
        if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5)) problems.push(`${cell}: ${items[i]!.className} leaves the cell`);
        const next = rects[i + 1];
        if (next && next.width > 0 && r.right > next.left + 0.5) problems.push(`${cell}: ${items[i]!.className} overlaps ${items[i + 1]!.className}`);
      });
      // Every element whose text is cut ends it in an ellipsis, and it or its badge has a tooltip.
      for (const el of [foot, ...foot.querySelectorAll<HTMLElement>('*')]) {
        if (el.scrollWidth <= el.clientWidth + 0.5 || el === foot) continue;
        if (getComputedStyle(el).textOverflow !== 'ellipsis') problems.push(`${cell}: "${el.textContent}" (${el.className}) is cut without an ellipsis`);
        if (!el.closest('[title]')?.getAttribute('title')) problems.push(`${cell}: "${el.textContent}" is cut with no tooltip`);
      }
    }
    return problems;
  });

describe('grid cells with repeats', () => {
  it('never overlap their badges, the cost and the latency, in compare mode too; cut text ends in an ellipsis', async () => {
    await open(page);
    expect(await footProblems(page)).toEqual([]);
    await page.getByLabel('Compare mode').check();
    await page.getByTestId('compare-verdict').waitFor();
    await expect.poll(() => page.getByTestId('change-marker').count()).toBeGreaterThan(0);
    expect(await footProblems(page)).toEqual([]);
    // Narrower still: every target column at its least.
    await page.setViewportSize({ width: 820, height: 1000 });
    expect(await footProblems(page)).toEqual([]);
    await page.setViewportSize({ width: 1100, height: 1000 });
    await page.locator('.grid-title').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-repeats-compare');
    await page.getByLabel('Compare mode').uncheck();
  });

  it('shows an evaluator that skipped every repeat as skipped, not as 0 of 3 passed', async () => {
    await open(page);
    const badge = page.locator('[data-cell="6:bot"] .badge[data-status="skipped"]');
    expect(await badge.textContent()).toContain('skipped');
    expect(await badge.textContent()).not.toContain('0/3');
    expect(await badge.getAttribute('aria-label')).toBe('Exact answer match: skipped');
    expect(await page.locator('[data-cell="0:bot"] .badge').first().textContent()).toContain('3/3');
  });
});

describe('the Evaluators table of a run with repeats', () => {
  it("shows the summary's 95% interval, standard error and flaky rows, and \"Flaky only\" keeps the flaky cells", async () => {
    const summary = (await server.t.client.getRun(runId)).summary!;
    const exact = summary.evaluators.find((e) => e.evaluatorId === 'exact')!;
    expect(exact.ci95?.passRate).toBeDefined();
    expect(exact.flakyRows).toBe(3);
    await open(page);
    const row = page.getByRole('region', { name: 'Evaluators table' }).locator('tr[data-evaluator="exact"]');
    const [lo, hi] = exact.ci95!.passRate!.map((v) => Math.round(Math.min(100, Math.max(0, v))));
    expect(await row.getByTestId('evaluator-pass-rate').textContent()).toBe(`${exact.passRate.toFixed(1)}% (95% CI ${lo}–${hi})`);
    expect(await row.getByTestId('evaluator-flaky').textContent()).toBe('3');
    expect(await row.textContent()).toContain(`±${exact.stderr!.passRate!.toFixed(1)} pts`);
    const quality = page.locator('tr[data-evaluator="quality"]');
    expect(await quality.textContent()).toMatch(/\(95% CI [\d.]+–[\d.]+\)/);

    await page.getByLabel('Flaky only').check();
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe(`4 of ${ROWS} rows`);
    const shown = await page.locator('[role="grid"] [role="row"][data-row-index]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))));
    expect(shown).toEqual([1, 3, 5, 7]);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('region', { name: 'Evaluators table' }).scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-repeats-evaluators');
    await page.getByLabel('Flaky only').uncheck();
  });
});

describe('the drawer of a cell with repeats', () => {
  it('gives each repeat its own save status and keeps the saved comment in the box', async () => {
    await open(page);
    await page.locator('[data-cell="1:bot"]').click();
    const drawer = page.getByRole('dialog', { name: 'Row 1 × Capital bot' });
    await drawer.waitFor();
    const repeat = (n: number) => drawer.getByRole('region', { name: `Repeat ${n}` });
    const one = repeat(1);
    await one.getByRole('radio', { name: 'Failed', exact: true }).check();
    await one.getByLabel('Comment').fill('Said it did not know');
    await one.getByRole('button', { name: 'Save review' }).click();
    await expect.poll(() => one.getByRole('status').textContent()).toBe('Review saved: failed, with its comment');
    expect(await repeat(0).getByRole('status').textContent()).toBe('');
    expect(await repeat(2).getByRole('status').textContent()).toBe('');
    // The box keeps what was saved, so saving again does not wipe it.
    expect(await one.getByLabel('Comment').inputValue()).toBe('Said it did not know');
    expect(await one.getByRole('radio', { name: 'Failed', exact: true }).isChecked()).toBe(true);
    await drawer.screenshot({ path: 'docs/screenshots/run-drawer-repeat-review-saved.png' });
    await one.getByRole('button', { name: 'Update review' }).click();
    await expect.poll(async () => (await server.t.client.reviews(runId)).reviews.map((r) => [r.repeat, r.verdict, r.comment])).toEqual([[1, 'failed', 'Said it did not know']]);
    expect(await repeat(0).getByRole('status').textContent()).toBe('');
    // Reopened, the form shows the stored review.
    await page.keyboard.press('Escape');
    await page.locator('[data-cell="1:bot"]').click();
    expect(await page.getByRole('dialog').getByRole('region', { name: 'Repeat 1' }).getByLabel('Comment').inputValue()).toBe('Said it did not know');
    expect(await page.getByRole('dialog').getByRole('region', { name: 'Repeat 0' }).getByLabel('Comment').inputValue()).toBe('');
    await page.keyboard.press('Escape');
  });

  it('steps to the previous and next cell with buttons and keys, and Escape returns to the cell shown last', async () => {
    await open(page);
    await page.locator('[data-cell="0:bot"]').click();
    const title = () => page.locator('#drawer-title').textContent();
    await expect.poll(title).toBe('Row 0 × Capital bot');
    expect(await page.getByRole('button', { name: '↑ Previous' }).isDisabled()).toBe(true);
    await page.keyboard.press(']');
    await expect.poll(title).toBe('Row 0 × Echo');
    await page.keyboard.press(']');
    await expect.poll(title).toBe('Row 1 × Capital bot');
    await page.keyboard.press('[');
    await expect.poll(title).toBe('Row 0 × Echo');
    await page.getByRole('button', { name: 'Next ↓' }).click();
    await expect.poll(title).toBe('Row 1 × Capital bot');
    // Typing "]" in a comment types it; Alt+↓ steps from anywhere.
    const comment = page.getByRole('dialog').getByRole('region', { name: 'Repeat 0' }).getByLabel('Comment');
    await comment.focus();
    await page.keyboard.type('[x]');
    expect(await comment.inputValue()).toBe('[x]');
    await expect.poll(title).toBe('Row 1 × Capital bot');
    await page.keyboard.press('Alt+ArrowDown');
    await expect.poll(title).toBe('Row 1 × Echo');
    expect(await page.getByTestId('drawer-keys').textContent()).toContain('step to the previous and next cell');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.closest('[data-cell]')?.getAttribute('data-cell'))).toBe('1:echo');
  });
});

describe('the skip link', () => {
  it('is the first Tab stop, shows when focused, and takes focus to the grid', async () => {
    await open(page);
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    const link = page.getByRole('link', { name: 'Skip to results' });
    expect(await link.evaluate((el) => el === document.activeElement)).toBe(true);
    const box = (await link.boundingBox())!;
    expect(box.y).toBeGreaterThanOrEqual(0);
    await screenshot(page, 'run-page-skip-link');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.closest('[role="grid"]') !== null)).toBe(true);
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.closest('[data-pos]')?.getAttribute('data-pos'))).toBe('1');
    // Hidden again once focus moved on.
    expect((await link.boundingBox())!.y).toBeLessThan(0);
  });
});
