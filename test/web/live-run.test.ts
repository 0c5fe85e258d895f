// A run watched live: an HTTP target against a slow local agent, so the page shows progress
// and rows growing while the run goes (over SSE, with `: ping` comments in between), then the
// final figures; abort and resume from the page's buttons. Evaluator names, which events do
// not carry, still reach the page while it watches.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeAgent, refuseFirstCall, startFakeAgent } from '../../src/testing/fake-agent.js';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import { waitForRun } from '../../src/testing/runs.js';
import { ms } from '../../web/src/lib/format.js';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, onServer, screenshot, type Server, signIn, startServer } from './browser.js';

let server: Server;
let agent: FakeAgent;
/** Fails every call but the first row's until a test says otherwise: a run with errored cells. */
let failing: FakeAgent;
let failingOn = true;
let browser: Browser;

const ROWS = 16;
function experiment(slug: string, rows: number, concurrency: number, evaluators: object[] = [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }]) {
  return {
    slug, name: `Live ${slug}`,
    // Even rows expect the echo (pass), odd rows something else (fail).
    dataset: { rows: Array.from({ length: rows }, (_, i) => ({ question: `question ${i}`, expected: i % 2 === 0 ? `question ${i}` : 'something else' })) },
    targets: [{ id: 'bot', name: 'Slow bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply', timeoutMs: 10_000 }],
    evaluators,
    execution: { concurrency, maxRetries: 0 },
  };
}

beforeAll(async () => {
  // Pings every 150 ms: the stream the page reads carries comments between its events.
  server = await startServer({ pingMs: 150 });
  agent = await startFakeAgent({ latencyMs: 350, reply: (m) => m });
  for (const [slug, rows, concurrency] of [['live', ROWS, 2], ['stoppable', 8, 1]] as const) {
    expect((await server.t.req('POST', '/api/experiments', { body: experiment(slug, rows, concurrency) })).status).toBe(201);
  }
  // Two evaluators of one type and no names: the server names them alike, from its catalogue.
  failing = await startFakeAgent({
    reply: (m) => m,
    handler: (request) => (failingOn && (request.body as { message?: string }).message !== 'question 0' ? { status: 500, body: { error: 'down' } } : undefined),
  });
  const broken = experiment('broken', 4, 4);
  broken.targets = [{ ...broken.targets[0]!, url: `${failing.url}/chat` }];
  expect((await server.t.req('POST', '/api/experiments', { body: broken })).status).toBe(201);
  const unnamed = [{ id: 'exact-a', type: 'langevals/exact_match' }, { id: 'exact-b', type: 'langevals/exact_match' }];
  expect((await server.t.req('POST', '/api/experiments', { body: experiment('unnamed', 8, 2, unnamed) })).status).toBe(201);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await agent?.close();
  await failing?.close();
  await server?.close();
});

async function start(slug: string): Promise<string> {
  const res = await server.t.req('POST', `/api/experiments/${slug}/run`, { body: {} });
  return ((await res.json()) as { runUrl: string }).runUrl;
}

describe('a live run', () => {
  it('shows progress and rows growing while the run goes, then the final figures', async () => {
    const { page, problems } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(/\/experiments$/);

    const runUrl = await start('live');
    await page.goto(onServer(server, runUrl));
    const samples: { status: string; completed: number; cells: number }[] = [];
    let shot = false;
    for (let i = 0; i < 200; i++) {
      const status = (await page.locator('.run-status .pill').textContent().catch(() => null)) ?? '';
      const text = (await page.getByTestId('progress-text').textContent().catch(() => null)) ?? '0 / 0';
      const cells = await page.locator('[data-cell]').count();
      samples.push({ status, completed: Number(text.split('/')[0]!.trim()), cells });
      if (!shot && status === 'running' && cells >= 4) {
        shot = true;
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, 'run-page-live');
      }
      if (status === 'completed') break;
      await page.waitForTimeout(100);
    }
    const running = samples.filter((s) => s.status === 'running');
    console.log(`live samples while running: completed ${[...new Set(running.map((s) => s.completed))].join(', ')}; cells shown ${[...new Set(running.map((s) => s.cells))].join(', ')}`);
    // Progress and rows were seen growing while the run was still running.
    expect(new Set(running.map((s) => s.completed)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(running.map((s) => s.cells)).size).toBeGreaterThanOrEqual(3);
    expect(running.some((s) => s.completed > 0 && s.completed < ROWS && s.cells > 0 && s.cells < ROWS)).toBe(true);
    expect(running.every((s, i) => i === 0 || s.completed >= running[i - 1]!.completed)).toBe(true);

    await expect.poll(() => page.getByTestId('progress-text').textContent()).toBe(`${ROWS} / ${ROWS}`);
    // Every row is in the grid (the DOM holds the visible ones only) and none is still running.
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe(`${ROWS} of ${ROWS} rows`);
    expect(await page.locator('[data-verdict="running"]').count()).toBe(0);
    // The page's figures agree with the server's summary.
    const runId = new URL(runUrl).searchParams.get('runId')!;
    const summary = ((await (await server.t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { summary: { passRate: number; totalFailed: number } }).summary;
    await expect.poll(() => page.getByTestId('pass-rate').textContent()).toBe(`${summary.passRate.toFixed(1)}%`);
    expect(await page.getByTestId('failed-cells').textContent()).toBe(String(summary.totalFailed));
    // Every row has its inputs (events carry none; the page fetched them).
    expect(await page.locator('.cell.input', { hasText: '…' }).count()).toBe(0);
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });

  it('aborts from the page, then resumes to the end', async () => {
    const { page } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(/\/experiments$/);
    const runUrl = await start('stoppable');
    await page.goto(onServer(server, runUrl));
    await page.getByRole('button', { name: 'Abort' }).click();
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 10_000 }).toBe('stopped');
    const stoppedAt = Number((await page.getByTestId('progress-text').textContent())!.split('/')[0]);
    expect(stoppedAt).toBeLessThan(8);

    await expect.poll(() => page.getByText('Stopped: by a user').count()).toBe(1);
    // Beside the grid's count, the rows the stop left out (a row is listed once a cell of it started).
    const listed = Number(/ of (\d+) rows$/.exec((await page.getByTestId('row-count').textContent())!)![1]);
    if (listed < 8) expect(await page.getByTestId('rows-left').textContent()).toBe(`${8 - listed} ${8 - listed === 1 ? 'row' : 'rows'} not run`);
    else expect(await page.getByTestId('rows-left').count()).toBe(0);
    const frozen = await page.getByTestId('duration').textContent();
    // A stopped run that never resumed ran all its duration: no running figure.
    expect(await page.getByTestId('running-time').count()).toBe(0);
    // Stopped a while (the run itself takes ≈ 3 s): its duration will count the pause, its running time not.
    await page.waitForTimeout(4_000);

    await page.getByRole('button', { name: 'Resume' }).click();
    // Running again: the stop is over and the duration ticks on from the run's start.
    await expect.poll(() => page.locator('.run-status .pill').textContent()).toBe('running');
    expect(await page.getByText('Stopped: by a user').count()).toBe(0);
    await expect.poll(async () => {
      const [status, duration] = await Promise.all([page.locator('.run-status .pill').textContent(), page.getByTestId('duration').textContent()]);
      return status === 'running' && duration !== frozen;
    }, { timeout: 5_000 }).toBe(true);
    // While it runs again, the header already says how long it has run: the 4 s stop left out.
    await expect.poll(async () => {
      const [status, running] = await Promise.all([page.locator('.run-status .pill').textContent(), page.getByTestId('running-time').allTextContents()]);
      return status === 'running' && running.length === 1 && /^ \(.+ running\)$/.test(running[0]!);
    }, { timeout: 5_000 }).toBe(true);
    // A page opened now replays the run from its first event, the stop included, and follows
    // on through `resumed` to the end (it once stopped following at the earlier `stopped`).
    const { page: late } = await guardedPage(browser, server.url);
    await late.goto(server.url + '/');
    await signIn(late, server.t.key);
    await late.waitForURL(/\/experiments$/);
    await late.goto(onServer(server, runUrl));
    await expect.poll(() => late.locator('.run-status .pill').textContent()).toBe('running');
    // From the poll body's clock, as soon as the page has loaded the run.
    await expect.poll(() => late.getByTestId('running-time').count()).toBe(1);
    await expect.poll(() => late.getByTestId('progress-text').textContent(), { timeout: 20_000 }).toBe('8 / 8');
    await expect.poll(() => late.locator('.run-status .pill').textContent()).toBe('completed');
    await late.close();
    await expect.poll(() => page.getByTestId('progress-text').textContent(), { timeout: 20_000 }).toBe('8 / 8');
    await expect.poll(() => page.locator('.run-status .pill').textContent()).toBe('completed');
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe('8 of 8 rows');
    expect(await page.getByTestId('rows-left').count()).toBe(0);
    // The header says how long it ran, beside the duration since its start, as the server counted it.
    const runId = new URL(runUrl).searchParams.get('runId')!;
    const { summary } = (await (await server.t.req('GET', `/api/experiments/runs/${runId}`)).json()) as { summary: { duration: number; runningTime: number } };
    expect(summary.duration - summary.runningTime).toBeGreaterThanOrEqual(4_000);
    await expect.poll(() => page.getByTestId('running-time').textContent()).toBe(` (${ms(summary.runningTime)} running)`);
    expect(await page.getByTestId('duration').textContent()).toBe(`${ms(summary.duration)} (${ms(summary.runningTime)} running)`);
    await screenshot(page, 'run-page-resumed');
    await page.close();
  });
});

describe('retrying errored cells', () => {
  it('shows them running from the moment the resume starts them until they answer', async () => {
    const { page, problems } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(/\/experiments$/);
    const runUrl = await start('broken');
    const runId = new URL(runUrl).searchParams.get('runId')!;
    await waitForRun(server.t, runId);
    await page.goto(onServer(server, runUrl));
    const target = (index: number) => page.locator(`[role="row"][data-row-index="${index}"] .cell.target`);
    for (const index of [1, 2, 3]) await expect.poll(() => target(index).textContent()).toContain('500');

    // The agent answers now, but holds its answers: the retried cells are seen running.
    failingOn = false;
    failing.hold();
    const before = failing.calls;
    await page.getByRole('button', { name: 'Retry errored cells' }).click();
    await expect.poll(() => failing.calls - before).toBe(3);
    for (const index of [1, 2, 3]) await expect.poll(() => target(index).textContent()).toBe('running…');
    expect(await target(0).textContent()).toContain('question 0');
    failing.release();
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 20_000 }).toBe('completed');
    for (const index of [0, 1, 2, 3]) await expect.poll(() => target(index).textContent()).toContain(`question ${index}`);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe('evaluator names', () => {
  it('shows the names, not the ids, of evaluators watched live, with the id when two share a name', async () => {
    const { page } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(/\/experiments$/);
    const runUrl = await start('unnamed');
    await page.goto(onServer(server, runUrl));
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 20_000 }).toBe('completed');
    const runId = new URL(runUrl).searchParams.get('runId')!;
    const results = (await (await server.t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { evaluations: { evaluator: string; name: string }[] };
    const name = results.evaluations.find((e) => e.evaluator === 'exact-a')!.name;
    expect(results.evaluations.find((e) => e.evaluator === 'exact-b')!.name).toBe(name);
    const shown = () => page.locator('table.data tr[data-evaluator] th').allTextContents();
    await expect.poll(shown).toEqual([`${name} (exact-a)`, `${name} (exact-b)`]);
    expect(await page.getByLabel('Evaluator', { exact: true }).locator('option').allTextContents()).toEqual(['All', `${name} (exact-a)`, `${name} (exact-b)`]);
    await page.close();
  });
});

describe('a dropped connection', () => {
  it('picks the live run up again where it left off', async () => {
    const { page } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(/\/experiments$/);
    const streams: string[] = [];
    page.on('request', (req) => {
      if (req.url().endsWith('/events')) streams.push(req.headers()['last-event-id'] ?? '');
    });
    const runUrl = await start('live');
    await page.goto(onServer(server, runUrl));
    await expect.poll(async () => Number((await page.getByTestId('progress-text').textContent())!.split('/')[0])).toBeGreaterThan(0);
    server.dropConnections();
    const during = Number((await page.getByTestId('progress-text').textContent())!.split('/')[0]);
    await expect.poll(() => page.getByTestId('progress-text').textContent(), { timeout: 20_000 }).toBe(`${ROWS} / ${ROWS}`);
    await expect.poll(() => page.locator('.run-status .pill').textContent()).toBe('completed');
    await expect.poll(() => page.getByTestId('row-count').textContent()).toBe(`${ROWS} of ${ROWS} rows`);
    console.log(`connections cut at ${during} / ${ROWS} cells; event streams opened with Last-Event-ID ${streams.join(', ')}; the page caught up`);
    expect(during).toBeLessThan(ROWS);
    // The stream was cut and opened again after the last event seen, not from the start.
    expect(streams.length).toBeGreaterThanOrEqual(2);
    expect(streams[0]).toBe('0');
    expect(Number(streams[streams.length - 1])).toBeGreaterThan(0);
    await page.close();
  });
});

/**
 * An experiment of two rows on an agent that answers each row's first call 429 with this
 * Retry-After (seconds), and a page signed in on the experiments list.
 */
async function throttledRun(slug: string, retryAfter: number) {
  const throttled = await startFakeAgent({ handler: refuseFirstCall({ status: 429, headers: { 'retry-after': String(retryAfter) }, body: { error: 'slow down' } }) });
  const doc = {
    slug, name: slug,
    dataset: { rows: [{ question: 'a' }, { question: 'b' }] },
    targets: [{ id: 'bot', name: 'Bot', type: 'http', url: `${throttled.url}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply' }],
    execution: { maxRetries: 2 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const { page, problems } = await guardedPage(browser, server.url);
  await page.goto(server.url + '/');
  await signIn(page, server.t.key);
  await page.waitForURL(/\/experiments$/);
  return { throttled, page, problems };
}

describe('calls backing off', () => {
  it('says how many wait, why and for how long while the run stands still, then says nothing', async () => {
    // Each row's first call is answered 429 with Retry-After: 3; the next one answers.
    const { throttled, page, problems } = await throttledRun('throttled', 3);
    try {
      // The 429s go out only once the page watches: `retrying` events are sent as they happen, not replayed.
      throttled.hold();
      const runUrl = await start('throttled');
      const streaming = page.waitForResponse((r) => r.url().includes('/events'));
      await page.goto(onServer(server, runUrl));
      await streaming;
      throttled.release();
      const line = page.getByTestId('backoff');
      await expect.poll(() => line.textContent(), { timeout: 10_000 }).toMatch(/^[12] calls? backing off \(HTTP 429[^)]*slow down[^)]*\), next try in [1-3] s$/);
      expect(await page.getByTestId('progress-text').textContent()).toBe('0 / 2');
      await screenshot(page, 'run-page-backing-off');
      await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 15_000 }).toBe('completed');
      expect(await line.count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await throttled.close();
    }
  });
});

describe('a page opened during a wait', () => {
  it('says how many wait and for how long, though the waits began before it was opened', async () => {
    // Each row's first call is answered 429 with Retry-After: 6, before anyone watches.
    const { throttled, page, problems } = await throttledRun('throttled-early', 6);
    try {
      const runUrl = await start('throttled-early');
      await expect.poll(() => throttled.calls).toBe(2);
      await page.goto(onServer(server, runUrl));
      const line = page.getByTestId('backoff');
      await expect.poll(() => line.textContent(), { timeout: 5_000 }).toMatch(/^2 calls backing off \(HTTP 429[^)]*slow down[^)]*\), next try in [1-6] s$/);
      // The cells show their retry in the drawer too.
      await page.locator('[data-cell="0:bot"]').click();
      await expect.poll(() => page.getByRole('dialog').locator('li', { hasText: /^Attempt \d+: .*429/ }).count()).toBe(1);
      await page.keyboard.press('Escape');
      await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 15_000 }).toBe('completed');
      expect(await line.count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await throttled.close();
    }
  });
});

describe('a run whose calls all fail', () => {
  it('says it stopped early, why, and how far it got', async () => {
    const refusing = await startFakeAgent({ failRate: 1, failStatus: 401, latencyMs: 20 });
    try {
      const doc = {
        slug: 'refused', name: 'Refused',
        dataset: { rows: Array.from({ length: 100 }, (_, i) => ({ question: `question ${i}` })) },
        targets: [{ id: 'bot', name: 'Bot', type: 'http', url: `${refusing.url}/chat`, body: { message: '{{question}}' }, outputPath: '$.reply' }],
        execution: { concurrency: 4 },
      };
      expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
      const { page, problems } = await guardedPage(browser, server.url);
      await page.goto(server.url + '/');
      await signIn(page, server.t.key);
      await page.waitForURL(/\/experiments$/);
      await page.goto(onServer(server, await start('refused')));
      await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 15_000 }).toBe('failed');
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent()).toMatch(/^Run failed: The first (\d+) target calls all failed, so the run stopped early; first error: bot: HTTP 401/);
      const stoppedAt = Number(/The first (\d+)/.exec((await alert.textContent())!)![1]);
      expect(stoppedAt).toBe(refusing.calls);
      expect(await page.getByTestId('progress-text').textContent()).toBe(`${stoppedAt} / 100`);
      // Why, grouped: every call failed alike.
      const firstRow = await page.getByTestId('common-errors').locator('tbody tr').first().locator('td, th').allTextContents();
      expect(firstRow[0]).toBe(String(stoppedAt));
      expect(firstRow[2]).toContain('HTTP 401');
      await screenshot(page, 'run-stopped-early');
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await refusing.close();
    }
  });
});

describe('calls waiting for a slot', () => {
  it('says how many calls wait for the provider\'s cap while the run goes slowly, then says nothing', async () => {
    // A local model one call at a time (maxConcurrency 1) answering in 1.5 s, and a run of 4 at once.
    const key = 'sk-web-slot-waits-0000000000000000000';
    const gpu = await startFakeOpenAI({ apiKey: key, latencyMs: 1_500 });
    try {
      expect((await server.t.req('PUT', '/api/providers/gpu', { body: { apiKey: key, baseUrl: gpu.baseURL, maxConcurrency: 1 } })).status).toBe(200);
      const doc = {
        slug: 'capped', name: 'Capped',
        dataset: { rows: Array.from({ length: 4 }, (_, i) => ({ question: `question ${i}` })) },
        targets: [{ id: 'local', name: 'Local model', type: 'prompt', model: 'gpu/small', messages: [{ role: 'user', content: '{{question}}' }] }],
        execution: { concurrency: 4, maxRetries: 0 },
      };
      expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
      const { page, problems } = await guardedPage(browser, server.url);
      await page.goto(server.url + '/');
      await signIn(page, server.t.key);
      await page.waitForURL(/\/experiments$/);
      await page.goto(onServer(server, await start('capped')));
      const line = page.getByTestId('slot-waits');
      await expect.poll(() => line.textContent(), { timeout: 10_000 }).toMatch(/^[123] calls? waiting for provider gpu's cap of 1$/);
      // The grid shows running only the call the cap let through; the others have not started.
      expect(await page.getByText('running…').count()).toBeLessThanOrEqual(1);
      // The rows not started are counted beside the grid's: with the ones listed, the run's 4.
      await expect.poll(async () => {
        const [count, left] = await Promise.all([page.getByTestId('row-count').textContent(), page.getByTestId('rows-left').textContent()]);
        const listed = Number(/ of (\d+) rows$/.exec(count!)![1]);
        const notStarted = Number(/^(\d) rows? not started yet$/.exec(left!)?.[1]);
        return listed + notStarted;
      }).toBe(4);
      // The line came with the first look, a second into the run: the duration shown with it is
      // of that moment, not of the page's last tick (it read "427 ms").
      expect(await page.getByTestId('duration').textContent()).toMatch(/^\d+\.\d+ s/);
      await screenshot(page, 'run-page-waiting-for-slots');
      await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 20_000 }).toBe('completed');
      expect(await line.count()).toBe(0);
      expect(await page.getByTestId('rows-left').count()).toBe(0);
      expect(problems).toEqual([]);
      await page.close();
    } finally {
      await gpu.close();
    }
  });
});
