// The "done when": `npm start`, then `npm run demo` in another terminal; the runUrl the
// demo prints opens the run page in Chromium after signing in with the key it prints, showing
// the demo's rows, outputs and verdicts. Both are the real processes (`assay serve` and
// `assay demo`, what the two npm scripts run), on a free port and a fresh data directory.
// Also takes the README's screenshots of every view.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnAssay } from '../../src/testing/spawn.js';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, screenshot, signIn } from './browser.js';
import { type ApiCell, type ApiEvaluation, failedCells, key } from './expected.js';

const DATASET = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../examples/faq-bot/dataset.json'), 'utf8')) as unknown[];

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

let dataDir: string;
let serve: Spawned;
let demo: Spawned;
let runUrl: string;
let apiKey: string;
let origin: string;
let browser: Browser;
let page: Page;
let problems: string[];

async function api<T>(p: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${new URL(origin).port}${p}`, { headers: { authorization: `Bearer ${apiKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'assay-demo-'));
  const env = { PORT: String(await freePort()), ASSAY_DATA_DIR: dataDir, ASSAY_LOG_LEVEL: 'warn' };
  serve = spawnAssay(['serve'], env);
  await serve.waitFor(/Assay listening on (\S+)/, 90_000);
  demo = spawnAssay(['demo'], env);
  runUrl = (await demo.waitFor(/^\s+(http:\/\/\S+\?runId=run_\S+)$/m, 90_000))[1]!;
  apiKey = (await demo.waitFor(/Demo project key.*?: (sk-lw-[A-Za-z0-9]{40})/, 30_000))[1]!;
  origin = new URL(runUrl).origin;
  expect(demo.output()).toContain('Using the Assay server already running');
  browser = await launch();
  ({ page, problems } = await guardedPage(browser, origin));
  await page.setViewportSize({ width: 1440, height: 1000 });
}, 200_000);
afterAll(async () => {
  await browser?.close();
  demo?.child.kill('SIGTERM');
  serve?.child.kill('SIGTERM');
  await Promise.all([demo?.exited, serve?.exited]);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start, then npm run demo', () => {
  it("opens the printed runUrl after signing in with the printed key, with the demo's rows, outputs and verdicts", async () => {
    await page.goto(runUrl);
    await signIn(page, apiKey);
    await page.getByRole('grid').waitFor();
    const runId = new URL(runUrl).searchParams.get('runId')!;
    const results = await api<{ dataset: ApiCell[]; evaluations: ApiEvaluation[] }>(`/api/experiments/runs/${runId}/results?limit=5000`);
    expect(results.dataset.length).toBe(DATASET.length * 2);
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe(`${DATASET.length} of ${DATASET.length} rows`);
    await expect.poll(() => page.getByTestId('progress-text').textContent()).toBe(`${DATASET.length * 2} / ${DATASET.length * 2}`);

    const failed = failedCells({ cells: results.dataset, evaluations: results.evaluations });
    // Walk the virtualised grid to see every cell.
    const grid = page.locator('.grid-scroll');
    const seen = new Map<string, { output: string; verdict: string; badges: string[] }>();
    for (let top = 0; seen.size < results.dataset.length; top += 400) {
      const cells = await page.locator('[data-cell]').evaluateAll((els) =>
        els.map((e) => ({ key: e.getAttribute('data-cell')!, output: e.querySelector('.output')!.textContent!, verdict: e.getAttribute('data-verdict')!, badges: [...e.querySelectorAll('.badge')].map((b) => b.getAttribute('aria-label')!) })),
      );
      for (const c of cells) seen.set(c.key, c);
      if (top > 100_000) break;
      await grid.evaluate((el, y) => (el.scrollTop = y), top + 400);
      await page.waitForTimeout(50);
    }
    expect(seen.size).toBe(results.dataset.length);
    for (const c of results.dataset) {
      const shown = seen.get(key(c))!;
      expect(shown.output).toBe(String(c.predicted?.output));
      expect(shown.verdict === 'passed', key(c)).toBe(!failed.has(key(c)));
      for (const e of results.evaluations.filter((x) => x.index === c.index && x.targetId === c.targetId)) {
        const word = e.status === 'error' ? 'error' : e.status === 'skipped' ? 'skipped' : e.passed ? 'passed' : 'failed';
        expect(shown.badges.some((b) => b.endsWith(`: ${word}`)), `${key(c)} ${e.evaluator}`).toBe(true);
      }
    }
    const summary = (await api<{ summary: { passRate: number } }>(`/api/experiments/runs/${runId}`)).summary;
    expect(await page.getByTestId('pass-rate').textContent()).toBe(`${summary.passRate.toFixed(1)}%`);
    await grid.evaluate((el) => (el.scrollTop = 0));
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page');
  });

  it('shows a cell in the drawer and the failures filter (screenshots)', async () => {
    await page.locator('[data-cell][data-verdict="failed"]').first().click();
    await page.getByRole('dialog').waitFor();
    await page.getByRole('dialog').getByLabel('Markdown').check();
    await page.getByRole('dialog').locator('.markdown').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-drawer');
    await page.keyboard.press('Escape');

    await page.getByLabel('Failures').check();
    await expect.poll(async () => (await page.locator('[data-cell]').count()) > 0 && (await page.locator('[data-cell][data-verdict="passed"]').count()) === 0).toBe(true);
    await page.locator('.grid-title').evaluate((el) => el.scrollIntoView());
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'failures');
  });

  it('re-runs only the failed rows as a new run', async () => {
    const button = page.getByRole('button', { name: /^Re-run \d+ failed rows$/ });
    const count = Number((await button.textContent())!.match(/\d+/)![0]);
    const before = page.url();
    await button.click();
    await expect.poll(() => page.url()).not.toBe(before);
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 30_000 }).toBe('completed');
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe(`${count} of ${count} rows`);
  });

  it('starts a run with parameters and a row selection from the experiment page', async () => {
    await page.getByRole('link', { name: 'faq-demo' }).click();
    await page.getByLabel(/^Rows/).fill('0-4, 9');
    await page.getByLabel(/^Parameters/).fill('channel=web');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.waitForURL(/runId=/);
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 30_000 }).toBe('completed');
    await expect.poll(() => page.locator('[data-row-index]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row-index'))))).toEqual([0, 1, 2, 3, 4, 9]);
    // The header says what the run was started with.
    const startedWith = await page.getByTestId('started-with').locator(':scope > div').evaluateAll((els) => els.map((e) => [e.querySelector('dt')!.textContent, e.querySelector('dd')!.textContent]));
    expect(startedWith).toContainEqual(['Rows', `6 of ${DATASET.length} of the experiment's`]);
    expect(startedWith).toContainEqual(['Parameters', 'channel=web']);
    expect(startedWith).toContainEqual(['Targets', 'FAQ bot (HTTP), Keyword baseline (code)']);
    await screenshot(page, 'run-page-started-with');
    await page.locator('[data-cell="0:faq-bot"]').click();
    await expect.poll(() => page.getByRole('dialog').locator('table.kv').textContent()).toContain('channelweb');
    await page.keyboard.press('Escape');
  });

  it('lists the experiment and its runs (screenshots)', async () => {
    await page.getByRole('link', { name: 'Experiments' }).first().click();
    await page.getByRole('link', { name: 'FAQ bot vs keyword baseline' }).waitFor();
    expect(await page.getByText('completed').count()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'experiments');
    await page.getByRole('link', { name: 'FAQ bot vs keyword baseline' }).click();
    await page.getByText('Pass rate and cost per run').waitFor();
    await page.locator('pre.yaml', { hasText: 'faq-bot' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'experiment');
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
  });
});
