// What a reader must be able to read: an evaluator's score in a grid cell too narrow for its
// badge, right-to-left dataset cells, outputs and evaluator details laid out right to left, and
// one way of writing dates and times (the history table's and the trend chart's run axis alike).
// Screenshots of the grid and the drawer at 1280 and 390 px wide.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';

declare const window: Record<string, unknown>;
declare const CanvasRenderingContext2D: { prototype: { fillText(text: string, x: number, y: number): void } };
declare function getComputedStyle(el: unknown): { direction: string; overflowX: string; overflowY: string };

const ARABIC = 'ما هي عاصمة فرنسا؟';
const HEBREW = 'מהי בירת צרפת?';
const rows = [
  { question: 'What is the capital of France?', expected: 'Paris' },
  { question: ARABIC, expected: 'باريس' },
  { question: HEBREW, expected: 'פריז' },
];

let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];
let runPath: string;

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'readable', name: 'Readable results',
    dataset: { rows },
    targets: [
      { id: 'echo', name: 'Echo', type: 'code', code: 'return row.question' },
      { id: 'answer', name: 'Answer', type: 'code', code: 'return row.expected' },
    ],
    // Long names and labels next to scores: three badges share one cell's footer line.
    evaluators: [
      { id: 'exact', name: 'Exact match', type: 'langevals/exact_match' },
      { id: 'judge', name: 'Semantic similarity judge', type: 'custom_code', settings: { code: "return { passed: true, score: 0.8125 + row.question.length % 5 / 100, label: 'mostly-correct-answer', details: 'التفاصيل: ' + output }" } },
      { id: 'length', name: 'Relative length score', type: 'custom_code', settings: { code: 'return output.length / 1000' } },
    ],
    execution: { maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  let started: { runId: string; runUrl: string } | undefined;
  // Two runs, so the experiment's trend chart has a line and its axis labels.
  for (let i = 0; i < 2; i++) {
    started = (await (await server.t.req('POST', '/api/experiments/readable/run', { body: {} })).json()) as { runId: string; runUrl: string };
    await waitForRun(server.t, started.runId);
  }
  const u = new URL(started!.runUrl);
  runPath = u.pathname + u.search;
  browser = await launch();
  ({ page, problems } = await guardedPage(browser, server.url));
  // uPlot draws its axes on a canvas: keep what it writes, to read the chart's dates.
  await page.addInitScript(() => {
    const texts: string[] = [];
    window.__canvasText = texts;
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    const byCanvas: { canvas: string; text: string }[] = [];
    window.__canvasTextByCanvas = byCanvas;
    let canvases = 0;
    CanvasRenderingContext2D.prototype.fillText = function (this: { canvas: { dataset: Record<string, string> } }, text: string, x: number, y: number) {
      texts.push(String(text));
      this.canvas.dataset.drawn ??= String(canvases++);
      byCanvas.push({ canvas: this.canvas.dataset.drawn, text: String(text) });
      return fillText.call(this, text, x, y);
    };
  });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(server.url + runPath);
  await signIn(page, server.t.key);
  await page.locator('[data-cell="2:answer"]').waitFor();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openRun(width: number): Promise<void> {
  await page.setViewportSize({ width, height: width < 600 ? 844 : 900 });
  await page.goto(server.url + runPath);
  await page.locator('[data-cell="2:answer"]').waitFor();
}

/**
 * Per scored badge in the grid: its score, whether the score's characters lie wholly inside
 * every box that clips them (up to the cell), and its tooltip.
 */
const scoreVisibility = (p: Page) =>
  p.locator('[role="grid"] .badge[aria-label*="score"]').evaluateAll((badges) =>
    badges.map((badge) => {
      const label = badge.getAttribute('aria-label') ?? '';
      const score = /score ([0-9.]+)/.exec(label)?.[1] ?? '';
      const walker = badge.ownerDocument.createTreeWalker(badge, 4 /* NodeFilter.SHOW_TEXT */);
      let node = walker.nextNode();
      while (node && !node.data.includes(score)) node = walker.nextNode();
      if (!node) return { label, score, visible: false, title: badge.getAttribute('title') };
      const range = badge.ownerDocument.createRange();
      const at: number = node.data.indexOf(score);
      range.setStart(node, at);
      range.setEnd(node, at + score.length);
      const r = range.getBoundingClientRect();
      let visible: boolean = r.width > 0;
      for (let el = node.parentElement; el && visible; el = el.parentElement) {
        const style = getComputedStyle(el);
        if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
          const box = el.getBoundingClientRect();
          // Half a pixel of slack for subpixel layout.
          visible = r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
        }
        if (el.classList.contains('cell')) break;
      }
      return { label, score, visible, title: badge.getAttribute('title') };
    }),
  );

describe('score distributions', () => {
  it('label every axis tick apart, even for scores a hundredth apart', async () => {
    await openRun(1280);
    const chart = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: 'Scores: Relative length score' }) });
    await chart.locator('canvas').waitFor();
    // A redraw from scratch (a new width), read alone.
    await page.evaluate(() => (window.__canvasTextByCanvas as unknown[]).splice(0));
    await page.setViewportSize({ width: 1100, height: 900 });
    const id = await chart.locator('canvas').evaluate((c) => (c as unknown as { dataset: Record<string, string> }).dataset.drawn);
    const ticks = async () =>
      ((await page.evaluate(() => window.__canvasTextByCanvas)) as { canvas: string; text: string }[])
        .filter((t) => t.canvas === id && /^-?\d/.test(t.text))
        .map((t) => t.text);
    await expect.poll(async () => (await ticks()).length).toBeGreaterThan(3);
    const drawn = await ticks();
    // Bars' counts on the y axis are whole numbers; the x axis holds the scores (0.00–0.03 here).
    const scoreTicks = drawn.filter((t) => t.includes('.'));
    expect(scoreTicks.length, drawn.join(' ')).toBeGreaterThan(2);
    expect(new Set(scoreTicks).size, `repeated tick labels: ${scoreTicks.join(' ')}`).toBe(scoreTicks.length);
  });
});

describe('evaluator badges in the grid', () => {
  for (const width of [1280, 390]) {
    it(`show every score whole in a narrow cell at ${width} px, with the full text as a tooltip`, async () => {
      await openRun(width);
      const badges = await scoreVisibility(page);
      // Two scored evaluators on each of 3 rows × 2 targets.
      expect(badges.length).toBe(12);
      for (const b of badges) {
        expect(b.score, b.label).not.toBe('');
        expect(b.visible, `${b.label}: the score ${b.score} is cut off`).toBe(true);
        expect(b.title, b.label).toBe(b.label);
      }
      await page.getByRole('heading', { name: 'Results' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      // On a phone the grid scrolls sideways in its box: bring the first target's column in.
      await page.locator('.grid-scroll').evaluate((grid) => {
        const target = grid.querySelector('[role="columnheader"].target');
        grid.scrollLeft = target.offsetLeft - 8;
      });
      await screenshot(page, width === 1280 ? 'run-page-scores-rtl-desktop-1280' : 'run-page-mobile-390-scores-rtl');
    });
  }
});

/** The direction each element is laid out in (dir="auto" takes it from the text's first strong character). */
const directions = (p: Page, selector: string) => p.locator(selector).evaluateAll((els) => els.map((e) => getComputedStyle(e).direction));

describe('right-to-left text', () => {
  it('lays out dataset cells and outputs in the grid by their own direction', async () => {
    await openRun(1280);
    for (const [i, dir] of [[0, 'ltr'], [1, 'rtl'], [2, 'rtl']] as const) {
      const row = `[role="row"][data-row-index="${i}"]`;
      expect(await directions(page, `${row} .cell.input .clamp`), `row ${i} inputs`).toEqual([dir, dir]);
      expect(await directions(page, `${row} [data-cell] .output`), `row ${i} outputs`).toEqual([dir, dir]);
    }
  });

  for (const width of [1280, 390]) {
    it(`lays out the drawer's inputs, output and evaluator details right to left at ${width} px`, async () => {
      await openRun(width);
      await page.locator('[data-cell="1:echo"]').click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      expect(await directions(page, '.drawer table.kv td pre')).toEqual(['rtl', 'rtl']);
      expect(await directions(page, '.drawer .output-view .output-text')).toEqual(['rtl']);
      expect(await directions(page, '.drawer .evals .details')).toEqual(['rtl']);
      await dialog.getByRole('radio', { name: 'Markdown' }).check();
      await dialog.locator('.markdown').waitFor();
      expect(await directions(page, '.drawer .markdown')).toEqual(['rtl']);
      await dialog.getByRole('radio', { name: 'Text' }).check();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, width === 1280 ? 'run-page-drawer-rtl' : 'run-page-mobile-390-drawer-rtl');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      // English stays left to right.
      await page.locator('[data-cell="0:echo"]').click();
      await dialog.waitFor();
      expect(await directions(page, '.drawer .output-view .output-text')).toEqual(['ltr']);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });
  }
});

describe('dates and times', () => {
  it('are written one way: the run history table and the trend chart axis agree', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate(() => (window.__canvasText as string[]).splice(0));
    await page.goto(server.url + runPath.replace(/\?.*$/, ''));
    const started = page.locator('table.data tbody tr td:nth-child(3)');
    await started.first().waitFor();
    // "4 Dec 2026, 21:15:24": day month year, then a 24-hour clock.
    const cells = await started.allTextContents();
    for (const text of cells) expect(text).toMatch(/^\d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2}:\d{2}$/);
    const day = cells[0]!.split(', ')[0]!;
    await expect.poll(async () => ((await page.evaluate(() => window.__canvasText)) as string[]).length).toBeGreaterThan(0);
    const drawn = ((await page.evaluate(() => window.__canvasText)) as string[]).flatMap((t) => t.split('\n'));
    // The axis ticks: the same clock and the same day as the table, never 12/4/26 or 9:15pm.
    expect(drawn.filter((t) => /\d+\/\d+\/\d+|\d(am|pm)\b/i.test(t))).toEqual([]);
    expect(drawn.some((t) => /^\d{2}:\d{2}(:\d{2})?$/.test(t)), drawn.join(' | ')).toBe(true);
    expect(drawn, drawn.join(' | ')).toContain(day);
    await page.locator('figure.chart').first().scrollIntoViewIfNeeded();
    await screenshot(page, 'experiment-trend');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(server.url + runPath.replace(/\?.*$/, ''));
    await started.first().waitFor();
    await page.locator('figure.chart').first().scrollIntoViewIfNeeded();
    await screenshot(page, 'experiment-mobile-390-trend');
    expect(problems).toEqual([]);
  });
});
