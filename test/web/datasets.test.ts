// The Datasets pages on a real server in Chromium: a dataset uploaded through the API is listed
// from the header's Datasets link, its rows page forward by offset (in the address), a long
// cell is cut with its text in the tooltip and opens whole, an append's version 1 reads its old
// row count, the experiments that run it are linked, a project with none says how to upload
// one, a run of a saved dataset names it and links to the version it read, and a 390 px screen
// never scrolls sideways. Screenshots into docs/screenshots.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, type Browser, guardedPage, launch, onServer, screenshot, type Server, signedInOnList, signIn, startServer } from './browser.js';

declare const document: { documentElement: { scrollWidth: number; clientWidth: number } };

const ROWS = 120;
const LONG = `${'A long answer that goes on and on, '.repeat(30)}and ends here.`;
let server: Server;
let browser: Browser;

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

beforeAll(async () => {
  server = await startServer();
  const csv = ['question,expected,context', ...Array.from({ length: ROWS }, (_, i) => `What is ${i} + ${i}?,${i * 2},"${i === 1 ? LONG : `row ${i}`}"`)].join('\n');
  const created = await server.t.req('POST', '/api/datasets?name=Arithmetic%20questions', { raw: `${csv}\n`, headers: { 'content-type': 'text/csv' } });
  expect(created.status).toBe(201);
  expect((await server.t.req('POST', '/api/datasets', { body: { name: 'Tiny', slug: 'tiny', rows: [{ q: 'only row', meta: { lang: 'en', tags: ['a', 'b'] } }] } })).status).toBe(201);
  const doc = { slug: 'sums', name: 'Sums bot', dataset: { datasetId: 'arithmetic-questions' }, targets: [{ id: 't', type: 'code', code: 'return row.expected' }] };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  // Two more that share a name (a copy, renamed later or not): told apart by their slugs.
  for (const slug of ['geo', 'geo-2']) expect((await server.t.req('POST', '/api/experiments', { body: { ...doc, slug, name: 'Geography bot' } })).status).toBe(201);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the Datasets pages', () => {
  it('lists the datasets from the header, opens one, pages its rows and opens a long cell', async () => {
    const { page, problems } = await signedInOnList(browser, server);
    await page.getByRole('navigation', { name: 'Project' }).getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('heading', { name: 'Datasets' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/default/datasets');
    const rows = page.locator('table.data tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    // Last changed first: Tiny was uploaded after.
    expect(await rows.locator('th .muted').allTextContents()).toEqual(['tiny', 'arithmetic-questions']);
    expect(await rows.nth(1).locator('td').allTextContents()).toEqual(['120', 'question, expected, context', '1', expect.stringMatching(/\d{2}:\d{2}:\d{2}$/)]);
    expect(await page.locator('nav[aria-label="Project"] a[aria-current]').textContent()).toBe('Datasets');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'datasets');

    await page.getByRole('link', { name: /Arithmetic questions/ }).click();
    await page.getByRole('heading', { name: 'Arithmetic questions' }).waitFor();
    const table = page.locator('table.ds-rows');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(50);
    expect(await table.locator('thead th').allTextContents()).toEqual(['Index', 'question', 'expected', 'context']);
    expect(await page.locator('.pager').first().textContent()).toContain('Index 0–49 of 120 rows');
    const usedBy = page.getByTestId('used-by');
    expect(await usedBy.textContent()).toMatch(/^Run by experiments (Sums bot|Geography bot \(geo(-2)?\))(, (Sums bot|Geography bot \(geo(-2)?\))){2} \(their latest versions\)$/);
    expect(await usedBy.getByRole('link', { name: 'Sums bot' }).getAttribute('href')).toBe('/default/experiments/sums');
    // Only names that two share show the slug.
    expect(await usedBy.getByRole('link', { name: 'Sums bot' }).textContent()).toBe('Sums bot');
    expect(await usedBy.getByRole('link', { name: 'Geography bot (geo)', exact: true }).getAttribute('href')).toBe('/default/experiments/geo');
    expect(await usedBy.getByRole('link', { name: 'Geography bot (geo-2)', exact: true }).getAttribute('href')).toBe('/default/experiments/geo-2');

    await screenshot(page, 'dataset');
    // The long cell is cut at three lines, its text in the tooltip; its row's toggle shows it whole
    // (rows of short values have no toggle: there is nothing to open).
    const cell = table.locator('tbody tr').nth(1).locator('.ds-cell').nth(2);
    expect(await cell.getAttribute('title')).toBe(LONG);
    const cut = (await cell.boundingBox())!.height;
    expect(cut).toBeLessThanOrEqual(54);
    expect(await table.locator('tbody tr').first().getByRole('button').count()).toBe(0);
    const toggle = table.locator('tbody tr').nth(1).getByRole('button');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect((await cell.boundingBox())!.height).toBeGreaterThan(cut + 36);
    expect(await axeViolations(page)).toEqual([]);

    // Forward by offset, in the address; then the last page, and back.
    await page.getByRole('navigation', { name: 'Rows, top' }).getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => page.locator('.pager').first().textContent()).toContain('Index 50–99 of 120 rows');
    expect(new URL(page.url()).search).toBe('?offset=50');
    expect(await table.locator('tbody tr').first().locator('td').first().textContent()).toBe('What is 50 + 50?');
    await page.getByRole('navigation', { name: 'Rows, bottom' }).getByRole('button', { name: 'Next →' }).click();
    await expect.poll(() => table.locator('tbody tr').count()).toBe(20);
    expect(await page.getByRole('navigation', { name: 'Rows, top' }).getByRole('button', { name: 'Next →' }).isDisabled()).toBe(true);
    await page.getByRole('navigation', { name: 'Rows, top' }).getByRole('button', { name: '← Previous' }).click();
    await expect.poll(() => page.locator('.pager').first().textContent()).toContain('Index 50–99 of 120 rows');
    // A reload at that address opens the same page of rows.
    await page.reload();
    await expect.poll(() => page.locator('.pager').first().textContent()).toContain('Index 50–99 of 120 rows');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads an old version after an append, from the version picker and from the address', async () => {
    // A new column, on purpose; the rows together still have each of the dataset's (one may leave a value out).
    const appended = await server.t.req('POST', '/api/datasets/tiny/records?newColumns=allow', { body: { rows: [{ q: 'second row', meta: null, note: 'added later' }, { q: 'third row' }] } });
    expect(appended.status).toBe(200);
    const { page, problems } = await signedInOnList(browser, server);
    await page.goto(`${server.url}/default/datasets/tiny`);
    const table = page.locator('table.ds-rows');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(3);
    expect(await table.locator('thead th').allTextContents()).toEqual(['Index', 'q', 'meta', 'note']);
    // A row without a column reads "—", an object as JSON.
    expect(await table.locator('tbody tr').nth(2).locator('td').allTextContents()).toEqual(['third row', '—', '—']);
    expect(await table.locator('tbody tr').first().locator('td').nth(1).textContent()).toBe('{"lang":"en","tags":["a","b"]}');
    expect(await page.getByTestId('used-by').textContent()).toBe('No live experiment runs this dataset.');

    const picker = page.getByLabel('Version');
    expect(await picker.locator('option').allTextContents()).toEqual([
      expect.stringMatching(/^Version 2 \(latest\) · 3 rows · /),
      expect.stringMatching(/^Version 1 · 1 row · /),
    ]);
    await picker.selectOption('1');
    await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
    expect(new URL(page.url()).search).toBe('?version=1');
    expect(await page.locator('.pager').first().textContent()).toBe('1 row');
    expect(await table.locator('thead th').allTextContents()).toEqual(['Index', 'q', 'meta']);
    expect(await page.getByTestId('old-version').textContent()).toBe('An older version: 1 of the latest\'s 3 rows. Latest version');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dataset-old-version');

    // The address alone opens it; an unknown version says which there are.
    await page.goto(`${server.url}/default/datasets/tiny?version=1`);
    await expect.poll(() => page.locator('.pager').first().textContent()).toBe('1 row');
    await page.goto(`${server.url}/default/datasets/tiny?version=7`);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('This dataset has no version 7: it has versions 1–2.');
    await page.goto(`${server.url}/default/datasets/no-such`);
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Dataset not found: no-such');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('tells a project with no dataset how to upload one', async () => {
    const other = await server.t.otherProject();
    const { page, problems } = await guardedPage(browser, server.url);
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(server.url + '/');
    await signIn(page, other.key);
    await page.getByRole('heading', { name: 'Experiments' }).waitFor();
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByText('No datasets yet').waitFor();
    expect(await page.getByLabel('Upload command').textContent()).toBe(`ASSAY_ENDPOINT=${server.url} ASSAY_API_KEY=$KEY npx assay datasets upload questions.csv`);
    const request = await page.getByLabel('Upload request').textContent();
    expect(request).toContain(`curl -X POST '${server.url}/api/datasets?name=questions'`);
    expect(request).toContain("-H 'Content-Type: text/csv' --data-binary @questions.csv");
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'datasets-empty');
    expect(problems).toEqual([]);
    await page.close();
  });

  it("names a run's saved dataset on the run page, linked to the version the run read", async () => {
    const started = await server.t.req('POST', '/api/experiments/sums/run', { body: {} });
    expect(started.status).toBe(200);
    const { runUrl } = (await started.json()) as { runUrl: string };
    const dataset = (await (await server.t.req('GET', '/api/datasets/arithmetic-questions?limit=0')).json()) as { id: string };
    const { page, problems } = await signedInOnList(browser, server);
    await page.goto(onServer(server, runUrl));
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 30_000 }).toBe('completed');
    const rows = page.getByTestId('run-dataset');
    // By its name, not its id (ds_…); the link goes by id (a slug may name another dataset later) to version 1.
    expect(await rows.textContent()).toBe('120 of dataset Arithmetic questions (version 1)');
    const link = rows.getByRole('link', { name: 'Arithmetic questions' });
    expect(await link.getAttribute('href')).toBe(`/default/datasets/${dataset.id}?version=1`);
    expect(await link.locator('bdi').getAttribute('title')).toBe(`arithmetic-questions · ${dataset.id}`);
    // No evaluators: no cell was judged, so no pass rate (the summary's 100 % is targets that answered).
    expect(await page.getByTestId('pass-rate').textContent()).toBe('— (no evaluators)');
    expect(await page.getByTestId('pass-rate').getAttribute('title')).toBe('The run has no evaluators: no cell was judged');
    // Nothing reviewed: no reviewed pass rate either.
    expect(await page.getByTestId('reviewed-pass-rate').count()).toBe(0);
    await page.getByText('No evaluator results in this run.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'run-page-dataset');

    await link.click();
    await page.getByRole('heading', { name: 'Arithmetic questions' }).waitFor();
    // Opened by id, the breadcrumb still says the slug.
    expect(await page.locator('nav.crumbs [aria-current="page"]').textContent()).toBe('arithmetic-questions');
    await expect.poll(() => page.locator('table.ds-rows tbody tr').count()).toBe(50);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("says a run's dataset was deleted, where its link used to open the rows", async () => {
    const ds = (await (await server.t.req('POST', '/api/datasets', { body: { name: 'Doomed', slug: 'doomed', rows: [{ expected: 'kept' }] } })).json()) as { id: string };
    const doc = { slug: 'doomed-run', name: 'Doomed run', dataset: { datasetId: 'doomed' }, targets: [{ id: 't', type: 'code', code: 'return row.expected' }] };
    expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const started = await server.t.req('POST', '/api/experiments/doomed-run/run', { body: {} });
    const { runUrl } = (await started.json()) as { runUrl: string };
    // A dataset an experiment runs cannot be deleted: archive the experiment first.
    expect((await server.t.req('DELETE', '/api/experiments/doomed-run')).status).toBe(204);
    expect((await server.t.req('DELETE', '/api/datasets/doomed')).status).toBe(204);

    const { page, problems } = await signedInOnList(browser, server);
    await page.goto(onServer(server, runUrl));
    await expect.poll(() => page.locator('.run-status .pill').textContent(), { timeout: 30_000 }).toBe('completed');
    // The run's rows are its own: still there.
    await page.getByText('kept').first().waitFor();
    await page.getByTestId('run-dataset').getByRole('link', { name: 'Doomed' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(new RegExp(`^Dataset not found: ${ds.id} was deleted at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z; the runs that read it keep their rows and results$`));
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dataset-deleted');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fits a 390 px screen: the list and the rows scroll in their own boxes', async () => {
    const { page, problems } = await signedInOnList(browser, server);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/default/datasets`);
    await page.getByRole('region', { name: 'Datasets table' }).waitFor();
    expect(await overflow(page)).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'datasets-mobile-390');

    await page.goto(`${server.url}/default/datasets/arithmetic-questions`);
    const region = page.getByRole('region', { name: 'Dataset rows' });
    await region.waitFor();
    expect(await overflow(page)).toBe(0);
    expect(await region.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dataset-mobile-390');
    expect(problems).toEqual([]);
    await page.close();
  });
});
