// Keyboard focus on a grid too long for the DOM (the virtualiser mounts a screenful), the cell
// drawer keeping Tab inside it, and a phone-width screen that never scrolls sideways: tables
// scroll in their own boxes. Screenshots at 1280×800 and 390×844.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';

declare function getComputedStyle(el: unknown): { webkitLineClamp: string };
declare const document: {
  activeElement: { tagName: string; getAttribute(n: string): string | null; closest(s: string): { getAttribute(n: string): string | null } | null } | null;
  documentElement: { scrollWidth: number; clientWidth: number };
};

const ROWS = 300;
let server: Server;
let browser: Browser;
let page: Page;
let runPath: string;

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'long-list', name: 'A long list',
    dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ question: `Question number ${i}, asked at some length`, expected: i % 4 === 0 ? 'no' : `Question number ${i}, asked at some length` })) },
    targets: [
      { id: 'echo', name: 'Echo bot', type: 'code', code: 'return row.question' },
      { id: 'shout', name: 'Shouting bot', type: 'code', code: 'return row.question.toUpperCase()' },
    ],
    evaluators: [
      { id: 'exact', name: 'Exact', type: 'langevals/exact_match' },
      { id: 'no-no', name: 'Never says no', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'no' }] } },
    ],
    execution: { concurrency: 20, maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  let started: { runId: string; runUrl: string } | undefined;
  // Two runs, so compare mode has a baseline.
  for (let i = 0; i < 2; i++) {
    started = (await (await server.t.req('POST', '/api/experiments/long-list/run', { body: {} })).json()) as { runId: string; runUrl: string };
    await waitForRun(server.t, started.runId);
  }
  const u = new URL(started!.runUrl);
  runPath = u.pathname + u.search;
  browser = await launch();
  ({ page } = await guardedPage(browser, server.url));
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(server.url + runPath);
  await signIn(page, server.t.key);
  await page.locator('[data-cell="0:echo"]').waitFor();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The focused element's grid position, or its tag name when focus is not on a grid cell. */
const focused = () =>
  page.evaluate(() => {
    const el = document.activeElement;
    const row = el?.closest('[data-pos]');
    return row ? `${row.getAttribute('data-pos')}:${el!.getAttribute('data-col')}` : (el?.tagName ?? 'none');
  });

describe('keyboard focus in a long grid', () => {
  it('stays on a cell after PageDown and Ctrl+End, whose rows were not in the DOM', async () => {
    await page.goto(server.url + runPath);
    await page.locator('[data-pos="0"] [data-col="0"]').focus();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      await page.keyboard.press('PageDown');
      await expect.poll(focused).toMatch(/^\d+:0$/);
      seen.push(await focused());
    }
    // Each PageDown moved on a screenful.
    expect(seen.map((s) => Number(s.split(':')[0]))).toEqual([...seen.map((s) => Number(s.split(':')[0]))].sort((a, b) => a - b));
    expect(Number(seen[0]!.split(':')[0])).toBeGreaterThan(1);
    await page.keyboard.press('Control+End');
    await expect.poll(focused).toBe(`${ROWS - 1}:4`);
    await page.keyboard.press('Control+Home');
    await expect.poll(focused).toBe('0:0');
  });
});

describe('the cell drawer', () => {
  it('keeps Tab and Shift+Tab inside, and Escape returns to the cell', async () => {
    await page.goto(server.url + runPath);
    await page.locator('[data-pos="0"] [data-col="0"]').focus();
    for (const key of ['ArrowRight', 'ArrowRight', 'ArrowRight', 'Enter']) await page.keyboard.press(key);
    const dialog = page.getByRole('dialog', { name: 'Row 0 × Echo bot' });
    await dialog.waitFor();
    const inDialog = () => page.evaluate(() => document.activeElement?.closest('[role="dialog"]') !== null && document.activeElement?.closest('[role="dialog"]') !== undefined);
    const names: string[] = [];
    // More presses than the drawer has controls: focus must wrap, never reach the page behind.
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      expect(await inDialog(), `Tab ${i + 1}`).toBe(true);
      names.push(await page.evaluate(() => document.activeElement?.tagName ?? ''));
    }
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await inDialog(), `Shift+Tab ${i + 1}`).toBe(true);
    }
    console.log(`drawer Tab stops: ${names.slice(0, 12).join(', ')}…`);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await focused()).toBe('0:3');
  });
});

describe('a 390 px wide screen', () => {
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

  it('never scrolls the page sideways; the tables scroll in their own boxes', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="0:echo"]').waitFor();
    await screenshot(page, 'run-page-desktop-1280');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="0:echo"]').waitFor();
    expect(await overflow()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-mobile-390');
    // The targets table is wider than the screen: its box scrolls, the page does not.
    const box = page.getByRole('region', { name: 'Targets table' });
    expect(await box.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    await box.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
    await screenshot(page, 'run-page-mobile-390-table-scrolled');

    await page.getByLabel('Compare mode').check();
    await page.getByTestId('compare-verdict').waitFor();
    expect(await overflow()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('.compare').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-mobile-390-compare');
    await page.getByLabel('Compare mode').uncheck();
    await page.setViewportSize({ width: 1280, height: 800 });
  });
  it('fits the experiments list, the experiment page and the run grid to the screen: tables scroll in their boxes, cut inputs end in an ellipsis', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(server.url + '/');
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    await page.getByRole('region', { name: 'Experiments table' }).waitFor();
    expect(await overflow()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'experiments-mobile-390');

    await page.getByRole('link', { name: /A long list/ }).click();
    const history = page.getByRole('region', { name: 'Run history table' });
    await history.waitFor();
    expect(await overflow()).toBe(0);
    // The history is wider than the screen: its box scrolls, the page does not.
    expect(await history.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await history.scrollIntoViewIfNeeded();
    await screenshot(page, 'experiment-page-mobile-390');

    await page.goto(server.url + runPath);
    await page.locator('[data-cell="0:echo"]').waitFor();
    expect(await overflow()).toBe(0);
    // The first target's output starts on the screen, not past its right edge.
    const output = (await page.locator('[data-cell="0:echo"]').boundingBox())!;
    expect(output.x).toBeLessThan(390 - 100);
    // A cut input ends in an ellipsis (a two-line clamp) and its tooltip has it whole.
    const input = page.locator('[data-pos="0"] .cell.input').first();
    const clamp = input.locator('.clamp');
    expect(await clamp.evaluate((el) => [getComputedStyle(el).webkitLineClamp, el.scrollHeight > el.clientHeight])).toEqual(['2', true]);
    expect(await input.getAttribute('title')).toBe('Question number 0, asked at some length');
    await page.locator('.grid-title').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-mobile-390-grid');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
