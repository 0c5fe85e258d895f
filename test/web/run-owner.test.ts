// The run page takes the run's experiment from the run, never from the address: a link that
// pairs a run with another experiment's slug (or a slug that does not exist) is corrected to
// the run's own, and re-running, the baseline list and "Copy as curl" all name that one.
// Also what the page shows before and without results: a finished run's summary figures
// while its results load, and the evaluators of a run that failed before any evaluation.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';

let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];
let project: string;
const runs = { alpha: [] as string[], beta: [] as string[], broken: [] as string[], gone: [] as string[] };

const rows = Array.from({ length: 6 }, (_, i) => ({ q: `q${i}`, expected: i % 2 === 0 ? `q${i}` : 'other' }));
const experiment = (slug: string, code: string, evaluators: object[]) => ({
  slug, name: `Experiment ${slug}`, dataset: { rows },
  targets: [{ id: 'bot', name: 'Bot', type: 'code', code }],
  evaluators, execution: { maxRetries: 0 },
});

async function run(slug: keyof typeof runs): Promise<string> {
  const started = (await (await server.t.req('POST', `/api/experiments/${slug}/run`, { body: {} })).json()) as { runId: string; runUrl: string };
  await waitForRun(server.t, started.runId);
  project ??= new URL(started.runUrl).pathname.split('/')[1]!;
  runs[slug].push(started.runId);
  return started.runId;
}

async function runIdsOf(slug: string): Promise<string[]> {
  const list = (await (await server.t.req('GET', `/api/experiments/runs?experimentSlug=${slug}`)).json()) as { runs: { runId: string }[] };
  return list.runs.map((r) => r.runId);
}

beforeAll(async () => {
  server = await startServer();
  const exact = [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }];
  for (const doc of [
    experiment('alpha', 'return row.q', exact),
    experiment('beta', 'return row.q', exact),
    // Every call throws, so the run fails before any evaluator runs; the evaluator has no
    // name in the document, so only the run's summary names it.
    experiment('broken', "throw new Error('down')", [{ id: 'exact-unnamed', type: 'langevals/exact_match' }]),
    experiment('gone', 'return row.q', exact),
  ]) {
    expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  }
  await run('alpha');
  await run('alpha');
  await run('beta');
  await run('broken');
  await run('gone');
  // Archived: gone from the lists and 404 by slug; its runs stay readable by id.
  expect((await server.t.req('DELETE', '/api/experiments/gone')).status).toBe(204);
  browser = await launch();
  ({ page, problems } = await guardedPage(browser, server.url));
  await page.goto(server.url + '/');
  await signIn(page, server.t.key);
  await page.waitForURL(/\/experiments$/);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const runPath = (slug: string, runId: string) => `/${project}/experiments/${slug}?runId=${runId}`;
const pathOf = (p: Page) => {
  const u = new URL(p.url());
  return u.pathname + u.search;
};

describe('a run opened under another experiment\'s slug', () => {
  it('moves to the run\'s own experiment and says so', async () => {
    const alphaRun = runs.alpha[1]!;
    await page.goto(server.url + runPath('beta', alphaRun));
    await expect.poll(() => pathOf(page)).toBe(runPath('alpha', alphaRun));
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
    await expect.poll(() => crumbs.getByRole('link', { name: 'alpha' }).count()).toBe(1);
    expect(await crumbs.getByText('beta').count()).toBe(0);
    expect(await page.locator('.notice').textContent()).toContain('belongs to experiment alpha');
    await page.locator('[data-cell="5:bot"]').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
    await screenshot(page, 'run-page-address-corrected');
  });

  it("offers the run's own experiment's runs as baselines", async () => {
    await page.getByLabel('Compare mode').check();
    const options = page.locator('#f-baseline option');
    await expect.poll(() => options.count()).toBe(2);
    const values = await options.evaluateAll((els) => els.map((e) => e.getAttribute('value')));
    expect(values).toEqual(['', runs.alpha[0]]);
    await page.getByLabel('Compare mode').uncheck();
  });

  it("copies a curl that starts the run's own experiment", async () => {
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    const curl = await page.getByLabel('curl command').inputValue();
    expect(curl).toContain('/api/experiments/alpha/run');
    expect(curl).not.toContain('beta');
  });

  it("re-runs the failed rows as a run of the run's own experiment", async () => {
    const before = new Set([...(await runIdsOf('alpha')), ...(await runIdsOf('beta'))]);
    await page.getByRole('button', { name: 'Re-run 3 failed rows' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('runId')).not.toBe(runs.alpha[1]);
    const newRun = new URL(page.url()).searchParams.get('runId')!;
    expect(before.has(newRun)).toBe(false);
    expect(new URL(page.url()).pathname).toBe(`/${project}/experiments/alpha`);
    expect(await runIdsOf('alpha')).toContain(newRun);
    expect(await runIdsOf('beta')).not.toContain(newRun);
    await expect.poll(() => page.getByTestId('row-count').textContent(), { timeout: 30_000 }).toBe('3 of 3 rows');
  });

  it('shows the run of an archived experiment but offers nothing that would name an experiment', async () => {
    const goneRun = runs.gone[0]!;
    await page.goto(server.url + runPath('alpha', goneRun));
    await page.locator('[data-cell="5:bot"]').waitFor();
    await page.getByTestId('owner-missing').waitFor();
    // The address is left as it is (there is nowhere right to go) and nothing acts on alpha.
    expect(pathOf(page)).toBe(runPath('alpha', goneRun));
    expect(await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name: 'alpha' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Re-run/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Copy as curl' }).isDisabled()).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('moves a run opened under a slug that does not exist', async () => {
    const alphaRun = runs.alpha[0]!;
    await page.goto(server.url + runPath('no-such-experiment', alphaRun));
    await expect.poll(() => pathOf(page)).toBe(runPath('alpha', alphaRun));
    await page.locator('[data-cell="5:bot"]').waitFor();
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
  });
});

describe('figures before and without results', () => {
  it("shows the summary's figures while the results load, then the results' own", async () => {
    const runId = runs.alpha[0]!;
    const poll = (await (await server.t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { summary: { passRate: number; totalFailed: number } };
    // Hold every results page until the header has been read.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route('**/results?**', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(server.url + runPath('alpha', runId));
    await expect.poll(() => page.getByTestId('pass-rate').textContent()).toBe(`${poll.summary.passRate.toFixed(1)}%`);
    expect(await page.getByTestId('failed-cells').textContent()).toBe(String(poll.summary.totalFailed));
    // The summary has no errored-cell count and no latencies: unknown, not 0.
    expect(await page.getByTestId('errored-cells').textContent()).toBe('…');
    expect(await page.getByTestId('latency-p50').textContent()).toBe('…');
    expect(await page.locator('table.data tr[data-evaluator="exact"] td').first().textContent()).toBe('50.0%');
    expect(await page.locator('table.data tr[data-target="bot"] td').nth(4).textContent()).toBe('…');
    release();
    await page.locator('[data-cell="5:bot"]').waitFor();
    await expect.poll(() => page.getByTestId('errored-cells').textContent()).toBe('0');
    expect(await page.getByTestId('pass-rate').textContent()).toBe(`${poll.summary.passRate.toFixed(1)}%`);
    expect(await page.getByTestId('latency-p50').textContent()).toMatch(/ms|s$/);
    await page.unroute('**/results?**');
  });

  it('lists the evaluators of a run that failed before any evaluation', async () => {
    const runId = runs.broken[0]!;
    const poll = (await (await server.t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { status: string; summary: { evaluators: { evaluatorId: string; name: string }[] } };
    expect(poll.summary.evaluators.map((e) => e.evaluatorId)).toEqual(['exact-unnamed']);
    await page.goto(server.url + runPath('broken', runId));
    await page.locator('[data-cell="5:bot"]').waitFor();
    const row = page.locator('table.data tr[data-evaluator="exact-unnamed"]');
    await expect.poll(() => row.locator('th').textContent()).toBe(poll.summary.evaluators[0]!.name);
    // Nothing was counted: no pass rate rather than 0 %.
    expect(await row.locator('td').first().textContent()).toBe('—');
    console.log(`run ${runId} ended ${poll.status}; its evaluator is listed as "${poll.summary.evaluators[0]!.name}"`);
  });
});
