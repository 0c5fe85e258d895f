// A run page whose load fails (the server unreachable, a 5xx on a results page, the lookup of
// the run's experiment) says why and offers Retry, which loads the run again in place: no page
// reload, the tab's state stays.
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, launch, screenshot, type Server, signedInOnList, startServer } from './browser.js';

declare const window: Record<string, unknown>;

let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];
let runId: string;
let runPath: string;

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'flaky-network', name: 'Flaky network',
    dataset: { rows: Array.from({ length: 5 }, (_, i) => ({ q: `q${i}` })) },
    targets: [{ id: 'echo', name: 'Echo', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match', settings: { case_sensitive: true } }],
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const started = (await (await server.t.req('POST', '/api/experiments/flaky-network/run', { body: {} })).json()) as { runId: string; runUrl: string };
  runId = started.runId;
  await waitForRun(server.t, runId);
  const u = new URL(started.runUrl);
  runPath = u.pathname + u.search;
  browser = await launch();
  ({ page, problems } = await signedInOnList(browser, server));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Fails the requests `matches` selects with `fail` while `failing` says so; the others go
 * through. Returns a switch that lets them through from then on. `under` is the glob routed.
 */
async function breakRequests(p: Page, matches: (url: URL) => boolean, fail: (route: Route) => Promise<void>, under = '**/api/experiments/runs/**'): Promise<{ failed: () => number; heal: () => Promise<void> }> {
  let failing = true;
  let failed = 0;
  const handler = async (route: Route) => {
    if (failing && matches(new URL(route.request().url()))) {
      failed++;
      return fail(route);
    }
    return route.continue();
  };
  await p.route(under, handler);
  return {
    failed: () => failed,
    heal: async () => {
      failing = false;
      await p.unroute(under, handler);
    },
  };
}

/** Opens the run page and marks the document, so a full reload (which would drop the mark) shows. */
async function openRun(p: Page): Promise<void> {
  await p.goto(server.url + runPath);
  await p.evaluate(() => {
    window.__sameDocument = true;
  });
}

describe('a failed load', () => {
  it('offers Retry when the run cannot be reached, and Retry loads it without reloading the page', async () => {
    const broken = await breakRequests(page, (u) => u.pathname === `/api/experiments/runs/${runId}`, (route) => route.abort('connectionrefused'));
    await openRun(page);
    const retry = page.getByRole('button', { name: 'Retry' });
    await retry.waitFor();
    expect(await page.getByRole('alert').first().textContent()).not.toBe('');
    expect(broken.failed()).toBeGreaterThan(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-load-error');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'run-page-mobile-390-load-error');
    await page.setViewportSize({ width: 1280, height: 800 });

    await broken.heal();
    // The page also retries by itself, with backoff (it went on while the screenshots were
    // taken): its own retry may load the run between the heal and this click, and take the
    // button away (CI of 2026-12-06 waited 30 s on a detached button). Either loads in place.
    await retry.click({ timeout: 5_000 }).catch((error: unknown) => {
      if (!/detached|Timeout/i.test(String(error))) throw error;
    });
    await page.locator('[data-cell="4:echo"]').waitFor();
    expect(await page.getByTestId('progress-text').textContent()).toBe('5 / 5');
    await expect.poll(() => page.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
  });

  it('offers Retry when a results page answers 503, and Retry fetches the results again', async () => {
    const broken = await breakRequests(
      page,
      (u) => u.pathname === `/api/experiments/runs/${runId}/results`,
      (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'unavailable', message: 'The server is busy; try again.' }) }),
    );
    await openRun(page);
    const retry = page.getByRole('button', { name: 'Retry' });
    await retry.waitFor();
    expect(await page.getByRole('alert').first().textContent()).toContain('The server is busy');
    expect(broken.failed()).toBeGreaterThan(0);

    // Still failing: Retry tries again and says so again.
    const before = broken.failed();
    await retry.click();
    await expect.poll(() => broken.failed()).toBeGreaterThan(before);
    await retry.waitFor();

    await broken.heal();
    // The page also retries by itself, with backoff (it went on while the screenshots were
    // taken): its own retry may load the run between the heal and this click, and take the
    // button away (CI of 2026-12-06 waited 30 s on a detached button). Either loads in place.
    await retry.click({ timeout: 5_000 }).catch((error: unknown) => {
      if (!/detached|Timeout/i.test(String(error))) throw error;
    });
    await page.locator('[data-cell="4:echo"]').waitFor();
    expect(await page.locator('[data-cell]').count()).toBe(5);
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    expect(problems).toEqual([]);
  });

  it("offers Retry when the run's experiment cannot be looked up, and Retry looks it up again", async () => {
    // The run and its results answer; the experiment (by the address's slug, then the list)
    // does not. That is no answer about the owner, so the page must not settle on "missing".
    const busy = (route: Route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'unavailable', message: 'The server is busy; try again.' }) });
    const broken = await breakRequests(page, (u) => u.pathname === '/api/experiments' || u.pathname === '/api/experiments/flaky-network', busy, '**/api/experiments**');
    await openRun(page);
    const retry = page.getByRole('button', { name: 'Retry' });
    await retry.waitFor();
    const alert = await page.getByRole('alert').first().textContent();
    expect(alert).toContain('experiment could not be looked up');
    expect(alert).toContain('The server is busy');
    expect(broken.failed()).toBeGreaterThan(0);
    expect(await page.getByTestId('owner-missing').count()).toBe(0);

    await broken.heal();
    // The page also retries by itself, with backoff (it went on while the screenshots were
    // taken): its own retry may load the run between the heal and this click, and take the
    // button away (CI of 2026-12-06 waited 30 s on a detached button). Either loads in place.
    await retry.click({ timeout: 5_000 }).catch((error: unknown) => {
      if (!/detached|Timeout/i.test(String(error))) throw error;
    });
    await page.locator('[data-cell="4:echo"]').waitFor();
    const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
    await expect.poll(() => crumbs.getByRole('link', { name: 'flaky-network' }).count()).toBe(1);
    expect(await crumbs.getByText('unknown experiment').count()).toBe(0);
    expect(await page.getByTestId('owner-missing').count()).toBe(0);
    // What needs the owner works: the curl names the run's experiment.
    await page.getByRole('button', { name: 'Copy as curl' }).click();
    expect(await page.getByLabel('curl command').inputValue()).toContain('/api/experiments/flaky-network/run');
    expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
    expect(problems).toEqual([]);
  });
});
