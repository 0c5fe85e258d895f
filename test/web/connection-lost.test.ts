// The server lost mid-run, and a page opened while it was down. A lost event stream must be
// plain: no "● live", the duration stops at the last contact, and a notice says the page is
// retrying (with the attempt), gone once the stream is back — as soon as it reconnects, though a
// quiet run sends no event for a long while. A page whose first load failed
// loads by itself once the server answers again (its Retry button stays). The server's going
// away is played by refusing every request of the page and cutting its open connections.
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAgent, startFakeAgent } from '../../src/testing/fake-agent.js';
import { waitForRun } from '../../src/testing/runs.js';
import { axeViolations, type Browser, closeAll, launch, onServer, screenshot, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let agent: FakeAgent;
let browser: Browser;
let page: Page;

const ROWS = 30;

beforeAll(async () => {
  // One cell at a time across runs: a run can be kept quiet behind another (see below).
  server = await startServer({ pingMs: 200, workerConcurrency: 1 });
  agent = await startFakeAgent({ latencyMs: 400, reply: (m) => m });
  const doc = {
    slug: 'far-away', name: 'Far away',
    dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ question: `question ${i}`, expected: `question ${i}` })) },
    targets: [{ id: 'bot', name: 'Slow bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply', timeoutMs: 10_000 }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
    execution: { concurrency: 1, maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  browser = await launch();
  ({ page } = await signedInOnList(browser, server));
});
afterAll(() => closeAll(browser, agent, server));

/** The server "goes away" for this page: every API request is refused until `back()`. */
async function serverDown(p: Page): Promise<{ refused: () => number; back: () => Promise<void> }> {
  let refused = 0;
  const handler = async (route: Route) => {
    refused++;
    await route.abort('connectionrefused');
  };
  await p.route('**/api/**', handler);
  server.dropConnections();
  return { refused: () => refused, back: () => p.unroute('**/api/**', handler) };
}

async function start(): Promise<{ runId: string; runUrl: string }> {
  return (await (await server.t.req('POST', '/api/experiments/far-away/run', { body: {} })).json()) as { runId: string; runUrl: string };
}

describe('the server lost mid-run', () => {
  it('drops the live badge, stops the duration and says it is retrying, until the stream is back', async () => {
    const { runId, runUrl } = await start();
    await page.goto(onServer(server, runUrl));
    await expect.poll(async () => Number((await page.getByTestId('progress-text').textContent())!.split('/')[0])).toBeGreaterThan(0);
    expect(await page.locator('.live').count()).toBe(1);

    const down = await serverDown(page);
    const notice = page.getByTestId('connection-lost');
    // Said within a few seconds, not after the client's retries ran out.
    await notice.waitFor({ timeout: 3000 });
    expect(await notice.textContent()).toMatch(/^Lost the connection to the server — retrying \(attempt \d+\)…/);
    expect(await page.locator('.live').count()).toBe(0);
    expect(await page.locator('.run-status').textContent()).toContain('last known:');
    const duration = await page.getByTestId('duration').textContent();
    expect(duration).toContain('(at last contact)');
    // The attempts count up, and the duration does not move.
    await expect.poll(async () => Number(/attempt (\d+)/.exec((await notice.textContent()) ?? '')?.[1]), { timeout: 5000 }).toBeGreaterThan(2);
    expect(await page.getByTestId('duration').textContent()).toBe(duration);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-connection-lost');

    await down.back();
    await notice.waitFor({ state: 'detached', timeout: 15_000 });
    expect(await page.getByTestId('duration').textContent()).not.toContain('(at last contact)');
    await expect.poll(() => page.getByTestId('progress-text').textContent(), { timeout: 30_000 }).toBe(`${ROWS} / ${ROWS}`);
    await expect.poll(() => page.locator('.run-status .pill').textContent()).toBe('completed');
    expect(down.refused()).toBeGreaterThan(0);
    await waitForRun(server.t, runId);
  });
});

describe('the server lost while the run is quiet', () => {
  it('clears the notice as soon as the stream reconnects, with no event from the run', async () => {
    // Quiet: the server executes one cell at a time (workerConcurrency: 1), and another run's
    // call, held by the agent, keeps the watched run's cell waiting: no event, and no cell in
    // flight for a new connection to be told of, until release().
    const quiet = {
      slug: 'quiet', name: 'Quiet',
      dataset: { rows: [{ question: 'q' }] },
      targets: [{ id: 'echo', name: 'Echo', type: 'code', code: 'return row.question' }],
    };
    // Its call outlasts the test: a timeout would free the cell slot and let the watched run go.
    const blocker = {
      slug: 'blocker', name: 'Blocker',
      dataset: { rows: [{ question: 'held' }] },
      targets: [{ id: 'bot', name: 'Held bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply', timeoutMs: 120_000 }],
      execution: { maxRetries: 0 },
    };
    for (const doc of [quiet, blocker]) expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    agent.hold();
    const runs: string[] = [];
    try {
      runs.push(((await (await server.t.req('POST', '/api/experiments/blocker/run', { body: {} })).json()) as { runId: string }).runId);
      await expect.poll(() => agent.inFlight).toBe(1);
      const { runId, runUrl } = (await (await server.t.req('POST', '/api/experiments/quiet/run', { body: {} })).json()) as { runId: string; runUrl: string };
      runs.push(runId);
      await page.goto(onServer(server, runUrl));
      await page.locator('.live').waitFor();
      expect(await page.getByTestId('progress-text').textContent()).toBe('0 / 1');

      const down = await serverDown(page);
      const notice = page.getByTestId('connection-lost');
      await notice.waitFor({ timeout: 3000 });
      await down.back();
      // The next attempt is at most 8 s away (run-follow.ts); the run still sends nothing.
      await notice.waitFor({ state: 'detached', timeout: 15_000 });
      expect(agent.inFlight).toBe(1);
      expect(await page.getByTestId('progress-text').textContent()).toBe('0 / 1');
      expect(await page.locator('.live').count()).toBe(1);
      expect(await page.getByTestId('duration').textContent()).not.toContain('(at last contact)');
    } finally {
      agent.release();
    }
    for (const runId of runs) await waitForRun(server.t, runId);
  });
});

describe('a page opened while the server is down', () => {
  it('loads by itself, with backoff, once the server answers again', async () => {
    const { runId, runUrl } = await start();
    await waitForRun(server.t, runId);
    const down = await serverDown(page);
    await page.goto(onServer(server, runUrl));
    const retry = page.getByRole('button', { name: 'Retry' });
    await retry.waitFor();
    await expect.poll(() => page.getByTestId('load-retry').textContent()).toMatch(/^Trying again by itself in \d+ s \(attempt \d+\)…$/);
    // It keeps trying: more than the first attempt's requests are refused.
    const first = down.refused();
    await expect.poll(() => down.refused(), { timeout: 5000 }).toBeGreaterThan(first);
    await screenshot(page, 'run-page-load-error-retrying');

    await down.back();
    // No click: the next attempt (at most 8 s away by now) loads the run.
    await page.locator('[data-cell="0:bot"]').waitFor({ timeout: 20_000 });
    expect(await retry.count()).toBe(0);
    expect(await page.getByTestId('progress-text').textContent()).toBe(`${ROWS} / ${ROWS}`);
  });
});
