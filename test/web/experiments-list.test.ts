// The experiments list reads in the order of what it shows: the most recently run experiment
// first, down its "Last run started" column, and the experiments never run after them (the API
// lists experiments by their last change, which beside run times looked like no order).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForRun } from './expected.js';
import { axeViolations, type Browser, launch, type Server, signedInOnList, startServer } from './browser.js';

let server: Server;
let browser: Browser;

const experiment = (slug: string) => ({ slug, name: `Experiment ${slug}`, dataset: { rows: [{ q: 'a' }] }, targets: [{ id: 'echo', type: 'code', code: 'return row.q' }], evaluators: [] });

async function run(slug: string): Promise<void> {
  const started = (await (await server.t.req('POST', `/api/experiments/${slug}/run`, { body: {} })).json()) as { runId: string };
  await waitForRun(server.t, started.runId);
}

beforeAll(async () => {
  server = await startServer();
  // Created (and so last changed) in this order: the API lists them never-run, then late, then early.
  for (const slug of ['early', 'late', 'never']) expect((await server.t.req('POST', '/api/experiments', { body: experiment(slug) })).status).toBe(201);
  await run('late');
  // Distinct start times to the ms, whatever the clock's resolution.
  await new Promise((r) => setTimeout(r, 20));
  await run('early');
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the experiments list', () => {
  it('lists the most recently run experiment first, as its last-run column reads', async () => {
    const listed = (await (await server.t.req('GET', '/api/experiments')).json()) as { experiments: { slug: string }[] };
    expect(listed.experiments.map((e) => e.slug)).toEqual(['never', 'late', 'early']);
    const { page, problems } = await signedInOnList(browser, server);
    const rows = page.locator('table.data tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    expect(await rows.locator('th .muted').allTextContents()).toEqual(['early', 'late', 'never']);
    const header = await page.locator('table.data thead th').allTextContents();
    expect(header[header.length - 1]).toBe('Last run started');
    expect(await rows.locator('td:last-child').allTextContents()).toEqual([expect.stringMatching(/\d{2}:\d{2}:\d{2}$/), expect.stringMatching(/\d{2}:\d{2}:\d{2}$/), '—']);
    // Their runs have no evaluators: no cell was judged, so no pass rate (the summary's 100 % is targets that answered).
    expect(header[3]).toBe('Pass rate');
    expect(await rows.locator('td:nth-child(4)').allTextContents()).toEqual(['—', '—', '—']);
    expect(await axeViolations(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('links the slug beside the name to the experiment too', async () => {
    const { page, problems } = await signedInOnList(browser, server);
    const slug = page.locator('table.data tbody tr', { hasText: 'late' }).locator('th .muted');
    // One link holds both: its name is the name and the slug.
    expect(await slug.evaluate((el) => el.closest('a')?.textContent)).toBe('Experiment late late');
    await slug.click();
    await page.getByRole('heading', { name: 'Experiment late' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/default/experiments/late');
    expect(problems).toEqual([]);
    await page.close();
  });
});
