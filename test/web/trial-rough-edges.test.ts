// Rough edges a new user's trial met on the pages (2026-12-07): "Abort requested" left beside
// Resume once the run had stopped; "Reviewed cells 0" and a reviewed pass rate repeating the pass
// rate in every header; the latency histogram's last label cut ("156.0 m"); a run id that does
// not exist offered Retry under a "…" breadcrumb; the run history did not mark a run of part of
// the rows, and the trend's legend read "Run: — Pass rate: — Cost: —" until hovered; and every
// tab was titled "Assay".
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, canvasTexts, launch, onServer, screenshot, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let agent: FakeAgent;
let browser: Browser;
let page: Page;
let problems: string[];

const rows = [{ q: 'a', expected: 'a' }, { q: 'b', expected: 'b' }, { q: 'c', expected: 'not c' }];

beforeAll(async () => {
  server = await startServer();
  agent = await startFakeAgent({ latencyMs: 300, reply: (m) => m });
  const create = async (doc: object) => expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  await create({
    slug: 'support-bot', name: 'Support bot', dataset: { rows },
    targets: [{ id: 'bot', name: 'Bot', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
    // A threshold adds a figure: with the reviewed ones too, the header's figures wrapped at 1400 px.
    thresholds: { passRate: 80 }, execution: { maxRetries: 0 },
  });
  await create({
    slug: 'slow', name: 'Slow bot', dataset: { rows: Array.from({ length: 12 }, (_, i) => ({ q: `question ${i}`, expected: `question ${i}` })) },
    targets: [{ id: 'bot', name: 'Slow bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply', timeoutMs: 10_000 }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
    execution: { concurrency: 1, maxRetries: 0 },
  });
  browser = await launch();
  ({ page, problems } = await signedInOnList(browser, server, { height: 900, recordCanvas: true }));
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  await server?.close();
});

async function ran(slug: string, body: Record<string, unknown> = {}): Promise<{ runId: string; runUrl: string }> {
  // Start times distinct to the ms: the history and the trend order runs by them.
  await new Promise((r) => setTimeout(r, 5));
  const res = await server.t.req('POST', `/api/experiments/${slug}/run`, { body });
  expect(res.status).toBe(200);
  const started = (await res.json()) as { runId: string; runUrl: string };
  expect((await waitForRun(server.t, started.runId)).status).toBe('completed');
  return started;
}

const pill = () => page.locator('.run-status .pill').textContent();

describe('the run page', () => {
  it('says the run stopped once it has, rather than "Abort requested" beside Resume', async () => {
    const res = await server.t.req('POST', '/api/experiments/slow/run', { body: {} });
    const { runUrl } = (await res.json()) as { runUrl: string };
    await page.goto(onServer(server, runUrl));
    await page.getByRole('button', { name: 'Abort' }).click();
    await expect.poll(pill, { timeout: 15_000 }).toBe('stopped');
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    const notice = page.locator('p.notice');
    await expect.poll(() => notice.textContent(), { timeout: 10_000 }).toBe('Run stopped');
    expect(await page.getByTestId('stop-reason').textContent()).toBe('Stopped: by a user');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-stopped-by-user');
  });

  it('shows the reviewed figures once a cell is reviewed, and the figures on one line at 1400 px', async () => {
    const { runId, runUrl } = await ran('support-bot');
    await page.setViewportSize({ width: 1400, height: 900 });
    try {
      await page.goto(onServer(server, runUrl));
      await page.locator('[data-cell="2:bot"]').waitFor();
      await expect.poll(() => page.getByTestId('pass-rate').textContent()).toBe('66.7%');
      // Nothing reviewed: no "Reviewed cells 0", no second pass rate.
      expect(await page.getByTestId('reviewed').count()).toBe(0);
      expect(await page.getByTestId('reviewed-pass-rate').count()).toBe(0);
      // Every figure on the header's first line, none alone on a second.
      const tops = await page.locator('dl.figures > div').evaluateAll((els) => els.map((el) => Math.round(el.getBoundingClientRect().top)));
      expect(tops.length).toBe(9);
      expect(new Set(tops).size, tops.join(' ')).toBe(1);
      await screenshot(page, 'run-page-header-1400');

      const review = await server.t.req('PUT', `/api/experiments/runs/${runId}/reviews`, { body: { rowIndex: 2, targetId: 'bot', verdict: 'passed' } });
      expect(review.status).toBe(200);
      await page.reload();
      await expect.poll(() => page.getByTestId('reviewed').textContent()).toBe('1');
      expect(await page.getByTestId('reviewed-pass-rate').textContent()).toBe('100.0%');
      // A value never wraps under its own figure.
      const lines = await page.locator('dl.figures dd').evaluateAll((els) => els.map((el) => el.getClientRects().length === 1 && el.getBoundingClientRect().height < 30));
      expect(lines.every(Boolean), JSON.stringify(lines)).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });

  it('draws the latency histogram\'s last label whole', async () => {
    const { runId, runUrl } = await finishedSlow();
    // Latencies of 155–156 ms, as in the trial: the axis ends at "156.0 ms".
    await page.route(`**/runs/${runId}/results?**`, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { dataset: { index: number; duration: number }[] };
      for (const d of body.dataset) d.duration = d.index % 3 === 0 ? 156 : 155;
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(onServer(server, runUrl));
    const chart = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: 'Latency distribution' }) });
    const canvas = chart.locator('canvas');
    await canvas.waitFor();
    const id = await canvas.evaluate((c) => (c as unknown as { dataset: Record<string, string> }).dataset.drawn);
    const xLabels = async () => {
      const texts = (await canvasTexts(page)).filter((t) => t.canvas === id && /\d/.test(t.text));
      const bottom = Math.max(...texts.map((t) => t.y));
      return texts.filter((t) => t.y === bottom);
    };
    await expect.poll(async () => (await xLabels()).length).toBeGreaterThan(1);
    await page.unroute(`**/runs/${runId}/results?**`);
    const labels = await xLabels();
    const last = labels.reduce((a, b) => (b.x > a.x ? b : a));
    expect(last.text).toBe('156.0 ms');
    // Centred on its tick: its right half lies inside the canvas.
    expect(last.align).toBe('center');
    expect(last.x + last.width / 2, `${last.text} at ${last.x}, ${last.width} wide, canvas ${last.canvasWidth}`).toBeLessThanOrEqual(last.canvasWidth);
    await chart.screenshot({ path: 'docs/screenshots/run-page-latency-last-label.png' });
  });

  it('says a run that does not exist does not, with the experiment of its address, and no Retry', async () => {
    await page.goto(`${server.url}/default/experiments/slow?runId=run_nope`);
    const missing = page.getByTestId('run-missing');
    await expect.poll(() => missing.textContent()).toBe('There is no run run_nope in project default. Runs of experiment slow');
    expect(await missing.getByRole('link', { name: 'Runs of experiment slow' }).getAttribute('href')).toBe('/default/experiments/slow');
    expect(await page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
    expect(await crumbs.getByRole('link', { name: 'slow' }).getAttribute('href')).toBe('/default/experiments/slow');
    expect(await crumbs.textContent()).not.toContain('…');
    expect(await page.title()).toBe('Run not found · Assay');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-not-found');
  });
});

let slowRun: Promise<{ runId: string; runUrl: string }> | undefined;
/** One finished run of the slow experiment (12 cells of ≈ 300 ms). */
function finishedSlow(): Promise<{ runId: string; runUrl: string }> {
  slowRun ??= ran('slow');
  return slowRun;
}

describe('the experiment page', () => {
  it('marks a run of part of the rows in its history, and its legend shows the latest run until one is hovered', async () => {
    await ran('support-bot', { row_indices: [2] });
    await page.goto(`${server.url}/default/experiments/support-bot`);
    const history = page.locator('table.data tbody tr');
    await expect.poll(() => history.count()).toBeGreaterThan(1);
    // Newest first: the partial run, then the full one (unmarked).
    expect(await history.nth(0).locator('td:nth-child(7)').textContent()).toBe('0.0% (1 of 3 rows)');
    expect(await history.nth(1).locator('td:nth-child(7)').textContent()).toBe('66.7%');
    const legend = page.locator('figure.chart .u-legend');
    // The latest run is the partial one: its point says so, as the history does.
    await expect.poll(() => legend.textContent()).toMatch(/Run\s*2 · \d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2}:\d{2} · 1 of 3 rows \(latest\)/);
    expect(await page.locator('figure.chart [role="img"]').getAttribute('aria-label')).toContain('the latest, run 2, passed 0.0% (a run of 1 of 3 rows) at $0');
    const text = (await legend.textContent())!;
    expect(text).toMatch(/Pass rate\s*0\.0%/);
    expect(text).toMatch(/Cost\s*\$0/);
    expect(text).not.toContain('—');
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await screenshot(page, 'experiment-history-partial-run');
  });
});

describe('tab titles', () => {
  it('name the page', async () => {
    const { runId, runUrl } = await ran('support-bot');
    const titled = async (url: string, title: string) => {
      await page.goto(url);
      await expect.poll(() => page.title()).toBe(title);
    };
    await titled(`${server.url}/default/experiments`, 'Experiments · Assay');
    await titled(`${server.url}/default/experiments/support-bot`, 'Support bot · Experiments · Assay');
    await titled(onServer(server, runUrl), `Support bot · run …${runId.slice(-6)} · Assay`);
    await titled(`${server.url}/default/datasets`, 'Datasets · Assay');
    await titled(`${server.url}/default/nothing/here/at/all`, 'Not found · Assay');
    expect(problems).toEqual([]);
  });
});
