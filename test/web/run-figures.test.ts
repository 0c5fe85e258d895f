// What the run page's figures and charts say on runs that used to mislead a reader: latencies
// a few ms apart (every latency tick read "1.52 s"), scores that are all equal (an axis of
// 1–2 for a judge scoring 0–1), a model without a price (its unknown cost read $0) beside a
// tiny real cost, a code target's tokens (unknown, read "0 in / 0 out"), and rows whose cells
// are still running (their inputs read "…").
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/core/model/compare.js';
import { startFakeOpenAI } from '../../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../../src/testing/fake-provider-core.js';
import { allResults, waitForRun } from './expected.js';
import { axeViolations, type Browser, canvasTexts, launch, onServer, screenshot, type Server, signedInOnList, startServer } from './browser.js';


const OPENAI_KEY = 'sk-openai-test-key-000000000000';

/** An HTTP agent that holds every call until released: cells stay running for as long as a test needs. */
async function startHoldingAgent(): Promise<{ url: string; calls(): number; releaseOne(): void; release(): void; hold(): void; close(): Promise<void> }> {
  const held: (() => void)[] = [];
  let released = false;
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls++;
      const answer = () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ reply: (JSON.parse(body) as { message: string }).message }));
      };
      if (released) answer();
      else held.push(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    /** Answers the oldest call held. */
    releaseOne() {
      held.shift()?.();
    },
    release() {
      released = true;
      for (const answer of held.splice(0)) answer();
    },
    hold() {
      released = false;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

let server: Server;
let browser: Browser;
let openai: FakeLlmProvider;
let agent: Awaited<ReturnType<typeof startHoldingAgent>>;
let page: Page;
let problems: string[];

const rows = Array.from({ length: 6 }, (_, i) => ({ q: `q${i}`, expected: `q${i}` }));
const prompt = (id: string, name: string, model: string) => ({ id, name, type: 'prompt', model, params: { maxTokens: 5 }, messages: [{ role: 'user', content: '{{q}}' }] });

async function create(doc: object): Promise<void> {
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
}

async function start(slug: string, body: object = {}): Promise<{ runId: string; runUrl: string }> {
  const res = await server.t.req('POST', `/api/experiments/${slug}/run`, { body });
  expect(res.status).toBe(200);
  return (await res.json()) as { runId: string; runUrl: string };
}

async function finished(slug: string, body: object = {}): Promise<{ runId: string; runUrl: string }> {
  const started = await start(slug, body);
  await waitForRun(server.t, started.runId);
  return started;
}

beforeAll(async () => {
  server = await startServer();
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  agent = await startHoldingAgent();
  expect((await server.t.req('PUT', '/api/providers/openai', { body: { apiKey: OPENAI_KEY, baseUrl: openai.baseURL } })).status).toBe(200);
  await create({
    slug: 'charts', name: 'Charts', dataset: { rows },
    targets: [{ id: 'echo', name: 'Echo', type: 'code', code: 'return row.q' }],
    // Judges whose scores are 0–1, here all equal: every result 1, and every result 0.5.
    evaluators: [
      { id: 'all-one', name: 'All one', type: 'custom_code', settings: { code: 'return { score: 1 }' } },
      { id: 'all-half', name: 'All half', type: 'custom_code', settings: { code: 'return { score: 0.5 }' } },
    ],
  });
  await create({
    slug: 'costs', name: 'Costs', dataset: { rows: rows.slice(0, 3) },
    // gpt-4o-mini is in the price table (a few millionths of a dollar a call here); the fine-tune is not.
    targets: [prompt('mini', 'Mini', 'openai/gpt-4o-mini'), prompt('custom', 'Unpriced', 'openai/my-unpriced-finetune')],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
  });
  await create({
    slug: 'judged', name: 'Judged', dataset: { rows: rows.slice(0, 3) },
    targets: [{ id: 'echo', name: 'Echo', type: 'code', code: 'return row.q' }],
    evaluators: [
      { id: 'judge', name: 'Judge', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-4o-mini' } },
      { id: 'exact', name: 'Exact', type: 'langevals/exact_match' },
    ],
  });
  await create({
    slug: 'unpriced-judge', name: 'Unpriced judge', dataset: { rows: rows.slice(0, 3) },
    targets: [prompt('mini', 'Mini', 'openai/gpt-4o-mini')],
    evaluators: [
      { id: 'judge', name: 'Judge', type: 'langevals/llm_boolean', settings: { model: 'openai/my-unpriced-finetune' } },
      { id: 'exact', name: 'Exact', type: 'langevals/exact_match' },
    ],
  });
  await create({
    slug: 'first-estimate', name: 'First estimate', dataset: { rows },
    targets: [prompt('mini', 'Mini', 'openai/gpt-4o-mini')],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
  });
  await create({
    slug: 'asked', name: 'Asked', dataset: { rows: rows.slice(0, 2) },
    targets: [{ id: 'mini', name: 'Mini', type: 'prompt', model: 'openai/gpt-4o-mini', params: { temperature: 0, maxTokens: 5 }, messages: [{ role: 'system', content: 'Answer in a {{parameters.tone}} voice.' }, { role: 'user', content: 'Question: {{q}}' }] }],
    evaluators: [],
  });
  await create({ slug: 'unpriced', name: 'Unpriced', dataset: { rows: rows.slice(0, 2) }, targets: [prompt('custom', 'Unpriced', 'openai/my-unpriced-finetune')], evaluators: [] });
  const held = (slug: string) => ({
    slug, name: slug, dataset: { rows: rows.slice(0, 3) },
    targets: [{ id: 'bot', name: 'Held bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply', timeoutMs: 60_000 }],
    evaluators: [], execution: { concurrency: 1, maxRetries: 0 },
  });
  await create(held('held'));
  await create(held('held-dataset'));
  await create({ ...held('held-three'), dataset: { rows: rows.slice(0, 5) }, execution: { concurrency: 3, maxRetries: 0 } });
  browser = await launch();
  ({ page, problems } = await signedInOnList(browser, server, { height: 900, recordCanvas: true }));
});
afterAll(async () => {
  agent?.release();
  await browser?.close();
  await agent?.close();
  await openai?.close();
  await server?.close();
});

/**
 * The tick labels a chart drew (its title `caption`), as the reader sees them: the x axis's
 * are those written lowest, the count axis's the others.
 */
async function axisTicks(caption: string): Promise<{ x: string[]; y: string[] }> {
  const chart = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: caption }) });
  await chart.locator('canvas').waitFor();
  const id = await chart.locator('canvas').evaluate((c) => (c as unknown as { dataset: Record<string, string> }).dataset.drawn);
  const read = async () => {
    const texts = ((await canvasTexts(page))).filter((t) => t.canvas === id && /\d/.test(t.text));
    const bottom = Math.max(...texts.map((t) => t.y));
    // Every redraw writes the same labels again: one of each.
    return { x: [...new Set(texts.filter((t) => t.y === bottom).map((t) => t.text))], y: [...new Set(texts.filter((t) => t.y !== bottom).map((t) => t.text))] };
  };
  await expect.poll(async () => (await read()).x.length).toBeGreaterThan(1);
  return read();
}

const numberIn = (label: string) => Number(/-?[\d.]+/.exec(label)![0]);

describe('the latency histogram', () => {
  it('labels ticks apart, at their true values, when the latencies are a few ms apart', async () => {
    const { runId, runUrl } = await finished('charts');
    // Wall-clock latencies cannot be set to the millisecond on a busy machine: the results
    // page answers the run's cells with latencies 1516–1524 ms, a spread of 8 ms past 1.5 s.
    await page.route(`**/runs/${runId}/results?**`, async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { dataset: { index: number; duration: number }[] };
      for (const d of body.dataset) d.duration = 1516 + (d.index % 5) * 2;
      await route.fulfill({ response: res, json: body });
    });
    await page.goto(onServer(server, runUrl));
    const ticks = (await axisTicks('Latency distribution')).x;
    await page.unroute(`**/runs/${runId}/results?**`);
    // Distinct labels, evenly spaced: what each says is where it stands (1.518 s, not 1.52 s).
    expect(ticks.length, ticks.join(' ')).toBeGreaterThan(2);
    const values = ticks.map((t) => numberIn(t) * (t.endsWith(' ms') ? 1 : 1000)).sort((a, b) => a - b);
    const steps = values.slice(1).map((v, i) => v - values[i]!);
    for (const step of steps) expect(step, ticks.join(' ')).toBeCloseTo(steps[0]!, 6);
    expect(values[0]!).toBeGreaterThanOrEqual(1516);
    expect(values[values.length - 1]!).toBeLessThanOrEqual(1524);
  });
});

describe('score histograms', () => {
  it('draw scores that are all equal on an axis that holds them, inside 0–1', async () => {
    const { runUrl } = await finished('charts');
    await page.goto(onServer(server, runUrl));
    for (const [caption, score] of [['Scores: All one', 1], ['Scores: All half', 0.5]] as const) {
      const drawn = await axisTicks(caption);
      const ticks = drawn.x.map(Number);
      // Counts are whole: no "2.5" on the count axis.
      expect(drawn.y.length).toBeGreaterThan(1);
      for (const count of drawn.y) expect(count, drawn.y.join(' ')).toMatch(/^\d+$/);
      expect(ticks.length, `${caption}: ${ticks.join(' ')}`).toBeGreaterThan(2);
      expect(Math.min(...ticks), `${caption}: ${ticks.join(' ')}`).toBeGreaterThanOrEqual(0);
      expect(Math.max(...ticks), `${caption}: ${ticks.join(' ')}`).toBeLessThanOrEqual(1);
      expect(Math.min(...ticks)).toBeLessThanOrEqual(score);
      expect(Math.max(...ticks)).toBeGreaterThanOrEqual(score);
    }
    expect(await axeViolations(page)).toEqual([]);
  });
});

describe('the prompt sent', () => {
  it("shows a prompt cell's messages as the run rendered them, on request, and offers nothing for a code cell", async () => {
    const { runUrl } = await finished('asked', { parameters: { tone: 'dry' } });
    await page.goto(onServer(server, runUrl));
    await page.locator('[data-cell="1:mini"]').click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText('Prompt sent').click();
    const messages = drawer.locator('ol.messages li');
    await expect.poll(() => messages.count()).toBe(2);
    expect(await messages.allInnerTexts()).toEqual(['SYSTEM\nAnswer in a dry voice.', 'USER\nQuestion: q1']);
    expect(await drawer.locator('details.request .meta').textContent()).toBe('openai/gpt-4o-mini · temperature 0, maxTokens 5');
    await screenshot(page, 'run-page-prompt-sent');
    await page.keyboard.press('Escape');

    const code = await finished('charts');
    await page.goto(onServer(server, code.runUrl));
    await page.locator('[data-cell="0:echo"]').click();
    await expect.poll(() => page.getByRole('dialog').locator('h3', { hasText: 'Row inputs' }).count()).toBe(1);
    expect(await page.getByRole('dialog').getByText('Prompt sent').count()).toBe(0);
    expect(await page.getByRole('dialog').getByText('Request sent').count()).toBe(0);
    await page.keyboard.press('Escape');
  });

  it("shows an HTTP cell's request line, headers and body, with a header read from secrets as its template", async () => {
    expect((await server.t.req('PUT', '/api/secrets/BOT_TOKEN', { body: { value: 'tok-secret-value-42' } })).status).toBe(200);
    await create({
      slug: 'agent-asked', name: 'Agent asked', dataset: { rows: rows.slice(0, 2) },
      targets: [{ id: 'bot', name: 'Bot', type: 'http', url: `${agent.url}/chat?tone={{parameters.tone}}`, auth: { type: 'bearer', token: '{{secrets.BOT_TOKEN}}' }, body: { message: '{{q}}' }, outputPath: '$.reply' }],
      evaluators: [],
    });
    agent.release();
    const { runUrl } = await finished('agent-asked', { parameters: { tone: 'dry' } });
    agent.hold();
    await page.goto(onServer(server, runUrl));
    await page.locator('[data-cell="1:bot"]').click();
    const drawer = page.getByRole('dialog');
    await drawer.getByText('Request sent').click();
    const line = drawer.locator('.http-request pre.request-line');
    await expect.poll(() => line.count()).toBe(1);
    expect(await line.textContent()).toBe(`POST ${agent.url}/chat?tone=dry`);
    const headers = Object.fromEntries((await drawer.locator('.http-request table.headers tr').allInnerTexts()).map((r) => r.split('\t')));
    expect(headers).toMatchObject({ authorization: 'Bearer {{secrets.BOT_TOKEN}}', 'content-type': 'application/json' });
    expect(await drawer.locator('.http-request pre.request-body').textContent()).toBe('{\n  "message": "q1"\n}');
    expect(await drawer.textContent()).not.toContain('tok-secret-value-42');
    expect(await drawer.getByText('authorization reads a secret: shown as its template, never as the value sent.').count()).toBe(1);
    await screenshot(page, 'run-page-request-sent');
    await page.keyboard.press('Escape');
  });
});

describe('costs', () => {
  it('shows an unknown cost as "—", as the drawer does, and a tiny one with its digits', async () => {
    const { runId, runUrl } = await finished('costs');
    const results = (await (await server.t.req('GET', `/api/experiments/runs/${runId}/results`)).json()) as { dataset: { targetId: string; cost: number | null }[] };
    const mini = results.dataset.filter((d) => d.targetId === 'mini').reduce((s, d) => s + d.cost!, 0);
    expect(results.dataset.filter((d) => d.targetId === 'custom').map((d) => d.cost)).toEqual([null, null, null]);
    expect(mini).toBeGreaterThan(0);
    expect(mini).toBeLessThan(0.0001);
    await page.goto(onServer(server, runUrl));
    await page.locator('[data-cell="2:custom"]').waitFor();
    const costCell = (target: string) => page.locator(`table.data tr[data-target="${target}"] td`).nth(6);
    await expect.poll(() => costCell('custom').textContent()).toBe('—');
    // Two significant digits of the real figure, never $0 or $0.0000.
    const shown = (await costCell('mini').textContent())!;
    expect(shown).toMatch(/^\$0\.0+[1-9]\d$/);
    expect(Math.abs(numberIn(shown) - mini) / mini).toBeLessThan(0.05);
    // An evaluator that calls no model has no cost to show: "—", not $0.
    expect(await page.locator('table.data tr[data-evaluator="exact"] td').nth(6).textContent()).toBe('—');
    // The total leaves the unpriced calls out, and says so.
    const header = page.getByTestId('cost');
    expect(await header.textContent()).toBe(`≥ ${shown}`);
    expect(await header.getAttribute('title')).toMatch(/^3 target calls with no known cost/);
    // The drawer writes the same unknown cost the same way.
    await page.locator('[data-cell="0:custom"]').click();
    const drawer = page.getByRole('dialog');
    expect(await drawer.locator('dt', { hasText: /^Cost$/ }).locator('xpath=following-sibling::dd[1]').textContent()).toBe('—');
    await page.keyboard.press('Escape');

    const unpriced = await finished('unpriced');
    await page.goto(onServer(server, unpriced.runUrl));
    await page.locator('[data-cell="1:custom"]').waitFor();
    await expect.poll(() => page.getByTestId('cost').textContent()).toBe('—');
    expect(await costCell('custom').textContent()).toBe('—');
  });
});

describe("a judge's cost", () => {
  it('counts the calls of a judge on a model without a price as unknown, not $0', async () => {
    const { runUrl } = await finished('unpriced-judge');
    await page.goto(onServer(server, runUrl));
    await page.locator('[data-cell="2:mini"]').waitFor();
    const header = page.getByTestId('cost');
    // The target's calls are priced, the judge's are not: at least the targets' cost.
    await expect.poll(() => header.textContent()).toMatch(/^≥ \$0\.0+[1-9]\d$/);
    expect(await header.getAttribute('title')).toBe('3 judge model calls with no known cost (a model without a price) not counted');
    const judgeCost = page.locator('table.data tr[data-evaluator="judge"] td').nth(6);
    expect(await judgeCost.textContent()).toBe('—');
    expect(await judgeCost.getAttribute('title')).toBe('3 judge model calls with no known cost (a model without a price) not counted');
    // A check that calls no model has no cost, and nothing unknown either.
    const exactCost = page.locator('table.data tr[data-evaluator="exact"] td').nth(6);
    expect(await exactCost.textContent()).toBe('—');
    expect(await exactCost.getAttribute('title')).toBeNull();
    await screenshot(page, 'run-page-unpriced-judge');
    // The drawer says it of each result.
    await page.locator('[data-cell="0:mini"]').click();
    const drawer = page.getByRole('dialog');
    await expect.poll(() => drawer.locator('ul.evals li', { hasText: 'Judge' }).locator('.meta').textContent()).toContain('cost unknown');
    await page.keyboard.press('Escape');
    expect(problems).toEqual([]);
  });
});

describe('the cost estimate', () => {
  it("estimates a run from the experiment page, from the earlier runs' costs, and starts nothing", async () => {
    const { runUrl } = await finished('costs');
    const api = (await (await server.t.req('POST', '/api/experiments/costs/estimate', { body: { row_indices: [0, 1] } })).json()) as { targets: { targetId: string; estimatedCost?: number }[] };
    const mini = api.targets.find((t) => t.targetId === 'mini')!.estimatedCost!;
    expect(mini).toBeGreaterThan(0);
    const runsBefore = ((await (await server.t.req('GET', '/api/experiments/runs?experimentSlug=costs')).json()) as { runs: unknown[] }).runs.length;
    await page.goto(onServer(server, runUrl.split('?')[0]!));
    await page.getByLabel(/^Rows/).fill('0-1');
    await page.getByRole('button', { name: 'Estimate cost' }).click();
    const estimate = page.getByRole('region', { name: 'Cost estimate' });
    await estimate.waitFor();
    expect(await estimate.locator('caption').textContent()).toBe('What this run would cost: 4 cells (version 1)');
    const row = (name: string) => estimate.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
    expect(await row('Mini').getAttribute('data-basis')).toBe('history');
    const shown = (await row('Mini').locator('td').nth(1).textContent())!;
    expect(shown).toMatch(/^\$0\.0+[1-9]\d$/);
    expect(Math.abs(numberIn(shown) - mini) / mini).toBeLessThan(0.05);
    expect(await row('Mini').locator('td').nth(2).textContent()).toMatch(/ a cell, from \d+ earlier runs?$/);
    // The unpriced model's calls had no cost: no figure, and the total says it is a lower bound.
    expect(await row('Unpriced').locator('td').nth(1).textContent()).toBe('—');
    expect(await row('Unpriced').locator('td').nth(2).textContent()).toBe('its calls in earlier runs reported no cost');
    expect(await row('Exact \\(evaluator\\)').locator('td').nth(1).textContent()).toBe('$0');
    expect(await estimate.getByTestId('estimate-total').textContent()).toBe(`≥ ${shown}`);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'estimate');
    const runsAfter = ((await (await server.t.req('GET', '/api/experiments/runs?experimentSlug=costs')).json()) as { runs: unknown[] }).runs.length;
    expect(runsAfter).toBe(runsBefore);
    expect(problems).toEqual([]);
  });
});

describe('a comparison', () => {
  it("shows a judge's cost on both sides, and none for a check that calls no model", async () => {
    const baseline = await finished('judged');
    const { runId, runUrl } = await finished('judged');
    const api = (await (await server.t.req('GET', `/api/experiments/runs/${runId}/compare?baseline=${baseline.runId}`)).json()) as Comparison;
    const judge = api.evaluators.find((e) => e.evaluatorId === 'judge')!;
    expect(judge.baseline.cost).toBeGreaterThan(0);
    expect(judge.candidate.cost).toBeGreaterThan(0);
    await page.goto(onServer(server, runUrl));
    await page.locator('[data-cell="2:echo"]').waitFor();
    await page.getByLabel('Compare mode').check();
    await page.getByTestId('compare-verdict').waitFor();
    const table = page.getByRole('region', { name: 'Evaluators against the baseline' }).locator('table');
    const headers = await table.locator('thead th').allTextContents();
    const costColumn = headers.indexOf('Cost');
    expect(costColumn).toBeGreaterThan(0);
    const costOf = (name: string) => table.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) }).locator('th, td').nth(costColumn);
    const [before, after] = (await costOf('Judge').textContent())!.split(' → ');
    for (const [shown, real] of [[before!, judge.baseline.cost!], [after!, judge.candidate.cost!]] as const) {
      expect(shown).toMatch(/^\$0\.0+[1-9]\d$/);
      expect(Math.abs(numberIn(shown) - real) / real).toBeLessThan(0.05);
    }
    expect(await costOf('Exact').textContent()).toBe('—');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'compare-evaluator-cost');
    expect(problems).toEqual([]);
  });
});

describe("a first run's estimate", () => {
  it("prices the prompts at the model's price, answers at maxTokens, and a check that calls no model at $0", async () => {
    const api = (await (await server.t.req('POST', '/api/experiments/first-estimate/estimate', { body: {} })).json()) as { targets: { estimatedCost: number }[]; complete: boolean };
    expect(api.complete).toBe(true);
    // The experiment page's address, from another experiment's run.
    const { runUrl } = await finished('costs');
    await page.goto(onServer(server, runUrl.split('?')[0]!.replace('/experiments/costs', '/experiments/first-estimate')));
    await page.getByRole('button', { name: 'Estimate cost' }).click();
    const estimate = page.getByRole('region', { name: 'Cost estimate' });
    await estimate.waitFor();
    const row = (name: string) => estimate.locator('tbody tr', { has: page.locator('th', { hasText: new RegExp(`^${name}$`) }) });
    expect(await row('Mini').getAttribute('data-basis')).toBe('prices');
    const shown = (await row('Mini').locator('td').nth(1).textContent())!;
    expect(shown).toMatch(/^≤ \$0\.0+[1-9]\d$/);
    expect(Math.abs(numberIn(shown) - api.targets[0]!.estimatedCost) / api.targets[0]!.estimatedCost).toBeLessThan(0.05);
    expect(await row('Mini').locator('td').nth(2).textContent()).toMatch(/ a cell at most, at the model's price: about \d+ prompt tokens \(from 6 rows\) and answers up to 5 tokens \(maxTokens\)$/);
    expect(await row('Exact \\(evaluator\\)').getAttribute('data-basis')).toBe('no_model');
    expect(await row('Exact \\(evaluator\\)').locator('td').nth(2).textContent()).toBe('it calls no model');
    // Answers counted at their maxTokens: the total is at most that.
    expect(await estimate.getByTestId('estimate-total').textContent()).toMatch(/^≤ \$0\.0+[1-9]\d$/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'estimate-first-run');
    expect(problems).toEqual([]);
  });
});

describe('tokens', () => {
  it('shows "—" for a code target, which reports none, and the counts of a prompt target', async () => {
    const code = await finished('charts');
    await page.goto(onServer(server, code.runUrl));
    await page.locator('[data-cell="5:echo"]').waitFor();
    const tokensCell = (target: string) => page.locator(`table.data tr[data-target="${target}"] td`).nth(7);
    await expect.poll(() => page.getByTestId('tokens').textContent()).toBe('—');
    expect(await tokensCell('echo').textContent()).toBe('—');
    await page.locator('[data-cell="0:echo"]').click();
    const drawer = page.getByRole('dialog');
    expect(await drawer.locator('dt', { hasText: /^Tokens$/ }).locator('xpath=following-sibling::dd[1]').textContent()).toBe('—');
    await page.keyboard.press('Escape');

    const prompt = await finished('costs');
    const results = (await (await server.t.req('GET', `/api/experiments/runs/${prompt.runId}/results`)).json()) as { dataset: { tokens: { input: number; output: number } | null }[] };
    const input = results.dataset.reduce((n, d) => n + d.tokens!.input, 0);
    const output = results.dataset.reduce((n, d) => n + d.tokens!.output, 0);
    expect(input).toBeGreaterThan(0);
    await page.goto(onServer(server, prompt.runUrl));
    await page.locator('[data-cell="2:custom"]').waitFor();
    await expect.poll(() => page.getByTestId('tokens').textContent()).toBe(`${input.toLocaleString('en-US')} in / ${output.toLocaleString('en-US')} out`);
    expect(Number((await tokensCell('mini').textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
  });
});

describe('rows still running', () => {
  it('that started before the page was opened show as running, with their inputs', async () => {
    const before = agent.calls();
    const started = await start('held-three');
    // Three cells at once, each call held: they started before anyone watched.
    await expect.poll(() => agent.calls() - before).toBe(3);
    await page.goto(onServer(server, started.runUrl));
    const row = (index: number) => page.locator(`[role="row"][data-row-index="${index}"]`);
    for (const index of [0, 1, 2]) {
      await expect.poll(() => row(index).locator('.cell.target').textContent()).toBe('running…');
      expect(await row(index).locator('.cell.input .clamp').first().textContent()).toBe(`q${index}`);
    }
    // The rows not started yet are not shown until they start.
    expect(await row(3).count()).toBe(0);
    await screenshot(page, 'run-page-opened-mid-run');
    agent.release();
    await waitForRun(server.t, started.runId);
    await page.locator('[data-cell="4:bot"]').waitFor();
    agent.hold();
    expect(problems).toEqual([]);
  });

  it('show their inputs, parameters merged, before their target answers', async () => {
    // The experiment's own rows, a saved dataset's, and rows sent with the run request.
    const created = await server.t.req('POST', '/api/datasets', { body: { name: 'Held rows', rows: [{ q: 'd0' }, { q: 'd1' }, { q: 'd2' }] } });
    expect(created.status).toBe(201);
    const datasetId = ((await created.json()) as { id: string }).id;
    for (const [slug, body, expected] of [
      ['held', { parameters: { lang: 'fr' } }, ['q1', 'q1', 'fr']],
      ['held-dataset', { dataset_id: datasetId }, ['d1']],
      // Rows sent with the run request: read back from the run's own rows.
      ['held', { data: [{ q: 'i0' }, { q: 'i1' }, { q: 'i2' }], parameters: { lang: 'de' } }, ['i1', 'de']],
    ] as const) {
      const before = agent.calls();
      const started = await start(slug, body);
      // One cell at a time: row 0's call is held.
      await expect.poll(() => agent.calls() - before).toBe(1);
      const streaming = page.waitForResponse((r) => r.url().includes(`/runs/${started.runId}/events`));
      await page.goto(onServer(server, started.runUrl));
      await streaming;
      // Row 0 answers; row 1 starts while the page watches, and its call is held in turn.
      agent.releaseOne();
      await expect.poll(() => agent.calls() - before).toBe(2);
      const row = page.locator('[role="row"][data-row-index="1"]');
      await row.waitFor();
      await expect.poll(() => row.locator('.cell.input .clamp').allTextContents()).toEqual(expected);
      // Still running: the inputs came before its result.
      expect(await row.locator('.cell.target').getAttribute('data-verdict')).toBe('running');
      expect(await page.locator('.run-status .pill').textContent()).toBe('running');
      agent.release();
      await waitForRun(server.t, started.runId);
      // The results agree with what was shown.
      const cell = (await allResults(server.t, started.runId)).cells.find((c) => c.index === 1)!;
      expect(Object.values(cell.entry).map(String)).toEqual(expected);
      await page.locator('[data-cell="2:bot"]').waitFor();
      agent.hold();
    }
    expect(problems).toEqual([]);
  });
});
