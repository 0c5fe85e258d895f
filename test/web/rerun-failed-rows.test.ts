// "Re-run failed rows" runs again the rows that failed, as the run ran them (its targets,
// evaluators, repeats: the poll body's `request`). For a run of the experiment's saved rows or
// of a saved dataset that is `row_indices`; for a run started with inline `data` the same
// indices name other rows (the saved ones), so the page sends the failed rows' own inputs.
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allResults, failedCells, waitForRun } from './expected.js';
import { axeViolations, type Browser, launch, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];

const SLUG = 'inline-rerun';
// Saved rows 1 and 3 fail (expected differs); the inline rows that fail are 1, 3 and 4, and
// the saved rows at 1 and 3 are other rows altogether (row 4 is past the saved ones).
const saved = Array.from({ length: 4 }, (_, i) => ({ q: `saved ${i}`, expected: i % 2 === 1 ? 'other' : `saved ${i}` }));
const inline = Array.from({ length: 5 }, (_, i) => ({ q: `inline ${i}`, expected: [1, 3, 4].includes(i) ? `not inline ${i}` : `inline ${i}`, note: `n${i}` }));

async function start(body: object, slug = SLUG): Promise<string> {
  const res = await server.t.req('POST', `/api/experiments/${slug}/run`, { body });
  expect(res.status).toBe(200);
  const started = (await res.json()) as { runId: string; runUrl: string };
  await waitForRun(server.t, started.runId);
  const u = new URL(started.runUrl);
  return u.pathname + u.search;
}

/** Clicks the re-run button and returns the start request's body and the new run's id. */
async function rerun(p: Page, label: string, slug = SLUG): Promise<{ body: Record<string, unknown>; runId: string }> {
  const before = new URL(p.url()).searchParams.get('runId');
  const request = p.waitForRequest((r: Request) => r.method() === 'POST' && new URL(r.url()).pathname === `/api/experiments/${slug}/run`);
  await p.getByRole('button', { name: label }).click();
  const body = (await request).postDataJSON() as Record<string, unknown>;
  await expect.poll(() => new URL(p.url()).searchParams.get('runId')).not.toBe(before);
  const runId = new URL(p.url()).searchParams.get('runId')!;
  await waitForRun(server.t, runId);
  return { body, runId };
}

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: SLUG, name: 'Inline re-run', dataset: { rows: saved },
    targets: [{ id: 'bot', name: 'Bot', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
    execution: { maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  // Two targets, of which a run may pick one: the second always passes.
  const two = { ...doc, slug: 'two-targets', name: 'Two targets', targets: [...doc.targets, { id: 'echo', name: 'Echo', type: 'code', code: 'return row.expected' }] };
  expect((await server.t.req('POST', '/api/experiments', { body: two })).status).toBe(201);
  browser = await launch();
  ({ page, problems } = await signedInOnList(browser, server));
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('re-running the failed rows', () => {
  it('of a run started with inline data sends those rows, not the saved rows at their indices', async () => {
    const runPath = await start({ data: inline });
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="4:bot"]').waitFor();
    expect(await axeViolations(page)).toEqual([]);

    const { body, runId } = await rerun(page, 'Re-run 3 failed rows');
    expect(body).toEqual({ data: [inline[1], inline[3], inline[4]], targets: ['bot'], evaluators: ['exact'], repeats: 1 });

    // The new run ran the failed inline rows (and they fail again, as they should).
    const results = await allResults(server.t, runId);
    expect(results.cells.map((c) => c.entry)).toEqual([inline[1], inline[3], inline[4]]);
    expect(failedCells(results).size).toBe(3);
    await expect.poll(() => page.getByTestId('row-count').textContent(), { timeout: 30_000 }).toBe('3 of 3 rows');
    await page.locator('[data-cell="2:bot"]').waitFor();
    expect(await page.getByRole('grid').textContent()).toContain('inline 4');
    expect(await page.getByRole('grid').textContent()).not.toContain('saved');
  });

  it("of a run of the experiment's saved rows sends their indices", async () => {
    const runPath = await start({});
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="3:bot"]').waitFor();

    const { body, runId } = await rerun(page, 'Re-run 2 failed rows');
    expect(body).toEqual({ row_indices: [1, 3], targets: ['bot'], evaluators: ['exact'], repeats: 1 });
    const results = await allResults(server.t, runId);
    expect(results.cells.map((c) => [c.index, c.entry])).toEqual([[1, saved[1]], [3, saved[3]]]);
    expect(problems).toEqual([]);
  });

  it('of a run of one target of two, twice per row, runs that target twice again, not both', async () => {
    const runPath = await start({ targets: ['bot'], repeats: 2 }, 'two-targets');
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="3:bot"]').waitFor();

    const { body, runId } = await rerun(page, 'Re-run 2 failed rows', 'two-targets');
    expect(body).toEqual({ row_indices: [1, 3], targets: ['bot'], evaluators: ['exact'], repeats: 2 });
    const results = await allResults(server.t, runId);
    // 2 rows × 1 target × 2 repeats; before, the page's re-run ran both targets once.
    expect(results.cells.map((c) => [c.index, c.targetId])).toEqual([[1, 'bot'], [1, 'bot'], [3, 'bot'], [3, 'bot']]);
    expect(problems).toEqual([]);
  });

  it('of a run of a saved dataset sends the dataset and the indices', async () => {
    const rows = Array.from({ length: 3 }, (_, i) => ({ q: `ds ${i}`, expected: i === 2 ? 'wrong' : `ds ${i}` }));
    const ds = (await (await server.t.req('POST', '/api/datasets', { body: { name: 'three rows', rows } })).json()) as { id: string };
    const runPath = await start({ dataset_id: ds.id });
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="2:bot"]').waitFor();

    const { body, runId } = await rerun(page, 'Re-run 1 failed row');
    expect(body).toEqual({ dataset_id: ds.id, row_indices: [2], targets: ['bot'], evaluators: ['exact'], repeats: 1 });
    const results = await allResults(server.t, runId);
    expect(results.cells.map((c) => [c.index, c.entry])).toEqual([[2, rows[2]]]);

    // The dataset deleted since: the server refuses it (404), and the page sends the inputs instead.
    expect((await server.t.req('DELETE', `/api/datasets/${ds.id}`)).status).toBe(204);
    await page.goto(server.url + runPath);
    await page.locator('[data-cell="2:bot"]').waitFor();
    const bodies: unknown[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === `/api/experiments/${SLUG}/run`) bodies.push(r.postDataJSON());
    });
    await page.getByRole('button', { name: 'Re-run 1 failed row' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('runId')).not.toBe(new URL(server.url + runPath).searchParams.get('runId'));
    expect(bodies).toEqual([
      { dataset_id: ds.id, row_indices: [2], targets: ['bot'], evaluators: ['exact'], repeats: 1 },
      { data: [rows[2]], targets: ['bot'], evaluators: ['exact'], repeats: 1 },
    ]);
    // The run the page started may still be going (a busy machine): its cell once it has ended.
    const againId = new URL(page.url()).searchParams.get('runId')!;
    await waitForRun(server.t, againId);
    const again = await allResults(server.t, againId);
    expect(again.cells.map((c) => c.entry)).toEqual([rows[2]]);
    expect(problems).toEqual([]);
  });

  it('leaves out an evaluator the experiment no longer has', async () => {
    const doc = (await (await server.t.req('GET', '/api/experiments/two-targets')).json()) as { document: Record<string, unknown> };
    // The experiment gains a second evaluator, a run uses both, then it is removed again.
    const withTwo = { ...doc.document, evaluators: [...(doc.document.evaluators as object[]), { id: 'len', name: 'Length', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'zzz' }] } }] };
    expect((await server.t.req('PUT', '/api/experiments/two-targets', { body: withTwo })).status).toBe(200);
    const both = await start({}, 'two-targets');
    expect((await server.t.req('PUT', '/api/experiments/two-targets', { body: doc.document })).status).toBe(200);
    await page.goto(server.url + both);
    await page.locator('[data-cell="3:bot"]').waitFor();
    const { body } = await rerun(page, 'Re-run 2 failed rows', 'two-targets');
    expect(body).toEqual({ row_indices: [1, 3], targets: ['bot', 'echo'], evaluators: ['exact'], repeats: 1 });
    expect(problems).toEqual([]);
  });
});
