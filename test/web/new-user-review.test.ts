// Rough edges a new user's review found on the page, each checked where only a browser shows
// it: a score histogram whose count axis did not start at 0 (bars cut at the bottom), runs
// minutes apart drawn on one spot of a time axis, evaluators named one way in the header and
// another in the tables ("Custom Code, Custom Code"), evaluator chips cut to "✗ Custom" in one
// column and whole in the next, and a Run form that started a run of 0 cells for rows the
// dataset does not have. Screenshots of each fixed view.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, canvasTexts, launch, onServer, screenshot, type Server, signedInOnList, startServer } from './browser.js';


let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];
let runUrl: string;
let agent: { url: string; release(): void; close(): Promise<void> };

/** An HTTP agent that holds every call until released: a run stays live for as long as a test needs. */
async function holdingAgent(): Promise<typeof agent> {
  const held: (() => void)[] = [];
  let released = false;
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => res.setHeader('content-type', 'application/json').end(JSON.stringify({ reply: 'held answer' }));
      if (released) answer();
      else held.push(answer);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`,
    release() {
      released = true;
      for (const answer of held.splice(0)) answer();
    },
    close: () => new Promise<void>((r) => {
      srv.closeAllConnections();
      srv.close(() => r());
    }),
  };
}

/** Two unnamed evaluators of one type (both "Custom Code" in the catalogue) and a long name. */
const EVALUATORS = [
  { id: 'e1', type: 'custom_code', settings: { code: 'return { passed: row.i % 3 !== 0 }' } },
  // Scores that fill every bin of the histogram, 6 to 10 in each: no empty bin to pull the
  // count axis down to 0 (uPlot fitted it to 6–10, bars cut at the bottom).
  { id: 'e2', type: 'custom_code', settings: { code: 'return { score: (row.i === 0 ? 1 : row.i % 10) / 10 + 0.001 }' } },
  { id: 'judge', name: 'LLM-as-a-Judge Score', type: 'custom_code', settings: { code: 'return { passed: true, score: 0.9 }' } },
];
const NAMES = ['Custom Code (e1)', 'Custom Code (e2)', 'LLM-as-a-Judge Score'];

const ROWS = 40;

async function startRun(slug: string): Promise<{ runId: string; runUrl: string }> {
  const started = (await (await server.t.req('POST', `/api/experiments/${slug}/run`, { body: {} })).json()) as { runId: string; runUrl: string };
  await waitForRun(server.t, started.runId);
  return started;
}

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'review', name: 'Review',
    dataset: { rows: Array.from({ length: ROWS }, (_, i) => ({ i, q: `Question ${i}` })) },
    targets: [
      { id: 'short', name: 'Short', type: 'code', code: 'return "ok"' },
      { id: 'long', name: 'Long answer bot', type: 'code', code: 'return "A much longer answer to " + row.q' },
    ],
    evaluators: EVALUATORS,
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const tiny = { slug: 'tiny', name: 'Tiny', dataset: { rows: [{ q: 'a' }, { q: 'b' }] }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }], evaluators: [] };
  expect((await server.t.req('POST', '/api/experiments', { body: tiny })).status).toBe(201);
  agent = await holdingAgent();
  const held = {
    slug: 'held', name: 'Held', dataset: { rows: [{ i: 1, q: 'a' }, { i: 2, q: 'b' }] },
    targets: [{ id: 'bot', name: 'Held bot', type: 'http', url: `${agent.url}/chat`, body: { message: '{{q}}' }, outputPath: '$.reply', timeoutMs: 60_000 }],
    evaluators: EVALUATORS, execution: { maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: held })).status).toBe(201);
  // Three runs within a second or so: one spot on a time axis.
  for (let i = 0; i < 3; i++) ({ runUrl } = await startRun('review'));
  browser = await launch();
  ({ page, problems } = await signedInOnList(browser, server, { height: 900, recordCanvas: true }));
});
afterAll(async () => {
  agent?.release();
  await agent?.close();
  await browser?.close();
  await server?.close();
});

/** The labels a chart (its title `caption`) drew on its canvas, with where, one of each. */
async function drawnIn(caption: string): Promise<{ text: string; x: number; y: number }[]> {
  const chart = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: caption }) });
  await chart.locator('canvas').waitFor();
  const id = await chart.locator('canvas').evaluate((c) => (c as unknown as { dataset: Record<string, string> }).dataset.drawn);
  const read = async () => {
    const all = await canvasTexts(page);
    const seen = new Map<string, { text: string; x: number; y: number }>();
    for (const t of all) if (t.canvas === id) seen.set(`${t.text}@${t.x},${t.y}`, { text: t.text, x: t.x, y: t.y });
    return [...seen.values()];
  };
  await expect.poll(async () => (await read()).length).toBeGreaterThan(2);
  return read();
}

describe('the score histogram', () => {
  it('starts its count axis at 0, as the latency histogram does, when no bin is empty', async () => {
    await page.goto(onServer(server, runUrl));
    const drawn = await drawnIn('Scores: Custom Code (e2)');
    const bottom = Math.max(...drawn.map((t) => t.y));
    // The count axis: labels not on the x axis's line, whole numbers.
    const counts = drawn.filter((t) => t.y !== bottom && /^\d+$/.test(t.text)).map((t) => Number(t.text));
    expect(counts, JSON.stringify(drawn)).toContain(0);
    expect(Math.min(...counts)).toBe(0);
    const figure = page.locator('figure.chart', { has: page.locator('figcaption', { hasText: 'Scores: Custom Code (e2)' }) });
    await figure.scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-score-histogram');
  });
});

describe('the run history chart', () => {
  it('gives each run its own place, by order, with when it started', async () => {
    await page.goto(onServer(server, runUrl).replace(/\?.*$/, ''));
    await page.getByRole('heading', { name: 'Review' }).waitFor();
    const drawn = await drawnIn('Pass rate and cost per run');
    const runs = drawn.filter((t) => t.text.startsWith('Run '));
    expect(runs.map((t) => t.text), JSON.stringify(drawn)).toEqual(['Run 1', 'Run 2', 'Run 3']);
    // Evenly apart, left to right.
    const xs = runs.map((t) => t.x);
    expect(xs[1]! - xs[0]!).toBeGreaterThan(50);
    expect(Math.abs(xs[2]! - xs[1]! - (xs[1]! - xs[0]!))).toBeLessThanOrEqual(2);
    // Each labelled with its clock; the history table has the same second.
    const started = await page.locator('table.data tbody tr td:nth-child(3)').allTextContents();
    const clock = /\d{2}:\d{2}:\d{2}$/.exec(started[started.length - 1]!)![0];
    // uPlot writes a label's lines one by one: the clock is the line under "Run 1".
    expect(drawn.filter((t) => t.x === runs[0]!.x && t.y > runs[0]!.y).map((t) => t.text)).toContain(clock);
    const figure = page.locator('figure.chart').first();
    await figure.scrollIntoViewIfNeeded();
    // Hovering the second run names it in the legend, with its start.
    const box = (await figure.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => figure.locator('.u-legend').textContent()).toMatch(/Run\s*2 · \d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2}:\d{2}/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'experiment-trend-by-run');
  });
});

describe('the Run form', () => {
  it('refuses rows the dataset does not have, and says every bad parameter line', async () => {
    await page.goto(server.url + '/default/experiments/tiny');
    const form = page.getByRole('form', { name: 'Start a run' });
    await form.waitFor();
    await form.getByLabel(/^Rows/).fill('5');
    await form.getByLabel(/^Parameters/).fill('lang=fr\noops\nalso wrong');
    await form.getByRole('button', { name: 'Run' }).click();
    const alert = form.getByRole('alert');
    expect(await alert.locator('p').allTextContents()).toEqual([
      'Parameters, line 2: expected name=value, got "oops"',
      'Parameters, line 3: expected name=value, got "also wrong"',
      'Rows: the dataset has 2 rows, numbered 0–1; row 5 is not in it',
    ]);
    // Nothing was started.
    expect(new URL(page.url()).search).toBe('');
    expect((await server.t.client.listRuns('tiny')).runs).toEqual([]);
    await screenshot(page, 'experiment-run-form-errors');
  });

  it('lists every column the rows lack when the server refuses the run, not only the first', async () => {
    // Two evaluators map columns the saved rows lack: the server's message names the first
    // and "(and 1 more)"; the form lists the other under it. A parameter fills one of them.
    const doc = {
      slug: 'unmapped', name: 'Unmapped', dataset: { rows: [{ q: 'a' }] },
      targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
      evaluators: [
        { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
        { id: 'ctx', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.context' } },
      ],
    };
    expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    await page.goto(server.url + '/default/experiments/unmapped');
    const form = page.getByRole('form', { name: 'Start a run' });
    await form.waitFor();
    expect(await form.locator('label', { hasText: 'Rows' }).textContent()).toContain('(empty = its one row, numbered 0;');
    await form.getByRole('button', { name: 'Run' }).click();
    const alert = form.getByRole('alert');
    await expect.poll(() => alert.locator('p').textContent()).toMatch(/^Invalid run: evaluator "exact" maps expected_output to row\.expected, .* \(and 1 more\)/);
    expect(await alert.locator('li').allTextContents()).toEqual([
      'evaluators.1.inputs.expected_output: evaluator "ctx" maps expected_output to row.context, but the rows have no column "context"; every cell would skip it',
    ]);
    await screenshot(page, 'experiment-run-form-issues');
    // With one of them given as a parameter, only the other is said, and no list is left over.
    await form.getByLabel(/^Parameters/).fill('context=x');
    await form.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => alert.locator('p').textContent()).toMatch(/^Invalid run: evaluator "exact" maps expected_output to row\.expected, [^(]*$/);
    expect(await alert.locator('li').count()).toBe(0);
    expect((await server.t.client.listRuns('unmapped')).runs).toEqual([]);
  });

  it("shows the server's message when it refuses the run", async () => {
    await page.goto(server.url + '/default/experiments/tiny');
    const form = page.getByRole('form', { name: 'Start a run' });
    await form.waitFor();
    // What the server answers for rows of a saved dataset it does not have (the form cannot know their count).
    await page.route('**/api/experiments/tiny/run', (route) =>
      route.fulfill({ status: 400, contentType: 'application/json', json: { error: 'invalid_request', message: 'row_indices: 7 is past the dataset\'s 2 rows' } }),
    );
    await form.getByLabel(/^Rows/).fill('1');
    await form.getByRole('button', { name: 'Run' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toBe("row_indices: 7 is past the dataset's 2 rows");
    await page.unroute('**/api/experiments/tiny/run');
    expect(problems).toEqual([]);
  });
});

/** The header's "Started with" evaluators. */
const headerEvaluators = (p: Page) => p.getByTestId('started-with').locator('div', { has: p.locator('dt', { hasText: /^Evaluators$/ }) }).locator('dd').textContent();

describe('evaluator names', () => {
  it('are one name each, everywhere on a finished run: header, tables, charts, grid and compare panel', async () => {
    await page.goto(onServer(server, runUrl));
    await page.locator('[data-cell="3:long"]').waitFor();
    await expect.poll(() => headerEvaluators(page)).toBe(NAMES.join(', '));
    expect(await page.locator('table.data tr[data-evaluator] th').allTextContents()).toEqual(NAMES);
    expect(await page.locator('figure.chart figcaption').allTextContents()).toEqual(['Latency distribution', `Scores: ${NAMES[1]}`, `Scores: ${NAMES[2]}`]);
    expect(new Set(await page.locator('[role="grid"] .badge-name').allTextContents())).toEqual(new Set(NAMES));
    await page.getByLabel('Compare mode').check();
    await page.getByTestId('compare-verdict').waitFor();
    const compared = await page.locator('table.compare-table:not(.compare-targets) tbody th').allTextContents();
    expect(new Set(compared)).toEqual(new Set(NAMES));
    await page.locator('section.compare').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-evaluator-names-compare');
    await page.getByLabel('Compare mode').uncheck();
  });

  it('are the same while the run is live, before any result names them', async () => {
    const started = (await (await server.t.req('POST', '/api/experiments/held/run', { body: {} })).json()) as { runId: string; runUrl: string };
    await page.goto(onServer(server, started.runUrl));
    await expect.poll(() => page.locator('.run-status .pill').textContent()).toBe('running');
    await expect.poll(() => headerEvaluators(page)).toBe(NAMES.join(', '));
    await page.locator('.run-header').scrollIntoViewIfNeeded();
    await screenshot(page, 'run-page-live-evaluator-names');
    agent.release();
    await waitForRun(server.t, started.runId);
    await expect.poll(() => page.locator('.run-status .pill').textContent()).toBe('completed');
    expect(await headerEvaluators(page)).toBe(NAMES.join(', '));
    expect(await page.locator('table.data tr[data-evaluator] th').allTextContents()).toEqual(NAMES);
    expect(problems).toEqual([]);
  });
});

/**
 * Per evaluator chip in the grid: its name, whether the name is cut, whether a cut shows an
 * ellipsis, and its tooltip.
 */
const chips = (p: Page) =>
  p.locator('[role="grid"] .badge').evaluateAll((badges) =>
    badges.map((badge) => {
      const name = badge.querySelector('.badge-name')!;
      const style = name.ownerDocument.defaultView!.getComputedStyle(name);
      // The badge whole inside its cell's footer: cut by nothing but its own ellipsis.
      const foot = badge.closest('.cell-foot')!.getBoundingClientRect();
      const box = badge.getBoundingClientRect();
      return {
        name: name.textContent ?? '', cut: name.scrollWidth > name.clientWidth + 0.5, ellipsis: style.textOverflow === 'ellipsis' && style.whiteSpace === 'nowrap',
        inside: box.left >= foot.left - 0.5 && box.right <= foot.right + 0.5, title: badge.getAttribute('title') ?? '', col: badge.closest('[data-col]')?.getAttribute('data-col'),
      };
    }),
  );

describe('evaluator chips', () => {
  for (const width of [1280, 900]) {
    it(`show every chip in its cell, a cut name ending in an ellipsis, the whole name in the tooltip, at ${width} px`, async () => {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(onServer(server, runUrl));
      await page.locator('[data-cell="3:long"]').waitFor();
      const all = await chips(page);
      expect(all.length).toBeGreaterThan(0);
      for (const c of all) {
        expect(c.title.startsWith(`${c.name}: `), c.title).toBe(true);
        expect(c.inside, `${c.name} in column ${c.col} is cut off by its cell`).toBe(true);
        if (c.cut) expect(c.ellipsis, `${c.name} in column ${c.col} is cut without an ellipsis`).toBe(true);
      }
      await page.getByRole('heading', { name: 'Results' }).evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await screenshot(page, `run-page-evaluator-chips-${width}`);
      await page.setViewportSize({ width: 1280, height: 900 });
    });
  }
});

describe('the run history table', () => {
  it("tells runs of one experiment apart by their version, parameters and metadata", async () => {
    const run = async (body: object) => {
      const started = (await (await server.t.req('POST', '/api/experiments/tiny/run', { body })).json()) as { runId: string };
      await waitForRun(server.t, started.runId);
    };
    await run({ parameters: { tone: 'dry' }, metadata: { commit: '3f2a9c1', branch: 'main' } });
    const current = (await (await server.t.req('GET', '/api/experiments/tiny')).json()) as { document: Record<string, unknown> };
    expect((await server.t.req('PUT', '/api/experiments/tiny', { body: { ...current.document, name: 'Tiny v2' } })).status).toBe(200);
    await run({ parameters: { tone: 'warm', long: 'x'.repeat(60) } });
    await page.goto(onServer(server, runUrl).replace(/experiments\/review.*$/, 'experiments/tiny'));
    const rows = page.locator('table.data tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const version = (i: number) => rows.nth(i).locator('td').nth(2).textContent();
    const labels = (i: number) => rows.nth(i).locator('.run-label').allTextContents();
    // Newest first.
    expect([await version(0), await version(1)]).toEqual(['2', '1']);
    expect(await labels(1)).toEqual(['tone=dry', 'commit=3f2a9c1', 'branch=main']);
    expect(await labels(0)).toEqual(['tone=warm', `long=${'x'.repeat(26)}…`]);
    expect(await rows.nth(0).locator('.run-labels').getAttribute('title')).toBe(`parameter tone=warm\nparameter long=${'x'.repeat(60)}`);
    expect(await axeViolations(page)).toEqual([]);
    await page.locator('table.data').scrollIntoViewIfNeeded();
    await screenshot(page, 'experiment-run-history-labels');
  });
});
