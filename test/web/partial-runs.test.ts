// A run of part of the rows ("Re-run 1 failed row") told apart where runs are set side by side:
// the compare picker lists each run with its rows ("1 of 3 rows"), compare mode's default
// baseline (`previous`) passes over the partial re-run for the earlier run of every row, and
// the experiments list marks a partial latest run beside its pass rate (its 0.0 % is one row's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, launch, onServer, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let browser: Browser;

const SLUG = 'support-bot';
// Row 2 fails (its expected answer differs): a full run passes 2 of 3, the re-run of that row 0 of 1.
const rows = [{ q: 'a', expected: 'a' }, { q: 'b', expected: 'b' }, { q: 'c', expected: 'not c' }];

async function ran(body: Record<string, unknown> = {}): Promise<{ runId: string; runUrl: string }> {
  // Start times distinct to the ms: `previous` is the newest run started before.
  await new Promise((r) => setTimeout(r, 5));
  const res = await server.t.req('POST', `/api/experiments/${SLUG}/run`, { body });
  expect(res.status).toBe(200);
  const started = (await res.json()) as { runId: string; runUrl: string };
  expect((await waitForRun(server.t, started.runId)).status).toBe('completed');
  return started;
}

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: SLUG, name: 'Support bot', dataset: { rows },
    targets: [{ id: 'bot', name: 'Bot', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
    execution: { maxRetries: 0 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('partial runs', () => {
  it('the compare picker shows each run\'s rows, and the default baseline is the earlier full run', async () => {
    const full1 = await ran();
    const rerun = await ran({ row_indices: [2] });
    const full2 = await ran();
    const { page, problems } = await signedInOnList(browser, server);
    await page.goto(onServer(server, full2.runUrl));
    await page.locator('[data-cell="2:bot"]').waitFor();
    await page.getByLabel('Compare mode').check();

    // The default (`previous`) compares with the first full run, on every row.
    const verdict = page.locator('.compare-verdict');
    await expect.poll(() => verdict.textContent()).toContain(`against ${full1.runId}`);
    expect(await verdict.textContent()).toContain('3 matched');

    const options = page.locator('#f-baseline option');
    await expect.poll(() => options.count()).toBe(3);
    const text = async (id: string) => (await page.locator(`#f-baseline option[value="${id}"]`).textContent()) ?? '';
    expect(await text(full1.runId)).toMatch(/ · 3 rows · 66\.7%$/);
    expect(await text(rerun.runId)).toMatch(/ · 1 of 3 rows · 0\.0%$/);
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the experiments list marks a partial latest run beside its pass rate', async () => {
    await ran({ row_indices: [2] });
    const { page, problems } = await signedInOnList(browser, server);
    const row = page.locator('table.data tbody tr', { hasText: SLUG });
    await row.waitFor();
    expect(await row.locator('td:nth-child(4)').textContent()).toBe('0.0% (1 of 3 rows)');
    // A full latest run is not marked.
    await ran();
    await page.reload();
    await page.locator('table.data tbody tr', { hasText: SLUG }).waitFor();
    expect(await page.locator('table.data tbody tr', { hasText: SLUG }).locator('td:nth-child(4)').textContent()).toBe('66.7%');
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
