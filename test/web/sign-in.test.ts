// Sign-in in real Chromium: a wrong key is refused with "Invalid API key" (and nothing about a
// key this tab never had), the right one goes to the project's experiments; the key lives in
// sessionStorage only and travels only as a header to the page's own origin; sign-out forgets
// it. Another project's page says whose key opens it, and opens with that key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../../src/testing/harness.js';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';

declare const sessionStorage: { length: number; key(i: number): string | null; getItem(k: string): string | null };
declare const localStorage: { length: number };
declare const document: { cookie: string };

let server: Server;
let browser: Browser;
beforeAll(async () => {
  server = await startServer();
  await server.t.req('POST', '/api/experiments', {
    body: { slug: 'greetings', name: 'Greetings', dataset: { rows: [{ input: 'hi', expected: 'HI' }] }, targets: [{ id: 'up', type: 'code', code: 'return row.input.toUpperCase()' }], evaluators: [{ id: 'exact', type: 'langevals/exact_match' }] },
  });
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('sign-in', () => {
  it('refuses a wrong key, accepts the right one, keeps it in sessionStorage only, and signs out', async () => {
    const { page, problems } = await guardedPage(browser, server.url);
    const keyInUrl: string[] = [];
    const keyHeaders: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes(server.t.key)) keyInUrl.push(req.url());
      const auth = req.headers()['authorization'];
      if (auth?.includes(server.t.key)) keyHeaders.push(new URL(req.url()).origin);
    });
    await page.goto(server.url + '/');
    await page.getByLabel('API key').waitFor();
    expect(await page.getByLabel('API key').getAttribute('type')).toBe('password');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'sign-in');

    await signIn(page, 'sk-lw-' + 'x'.repeat(40));
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Invalid API key');
    // The one message that applies: this tab never had a key that could have stopped working.
    expect(await page.getByRole('status').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('no longer accepted');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.getByLabel('API key').fill('');
    await signIn(page, server.t.key);
    await page.waitForURL(server.url + '/default/experiments');
    await page.getByRole('link', { name: 'Greetings' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    const stored = await page.evaluate(() => {
      const values: string[] = [];
      for (let i = 0; i < sessionStorage.length; i++) values.push(sessionStorage.getItem(sessionStorage.key(i)!) ?? '');
      return { session: values, local: localStorage.length, cookie: document.cookie };
    });
    expect(stored.session).toContain(server.t.key);
    expect(stored.local).toBe(0);
    expect(stored.cookie).toBe('');
    expect(keyInUrl).toEqual([]);
    expect(keyHeaders.length).toBeGreaterThan(0);
    expect(new Set(keyHeaders)).toEqual(new Set([server.url]));

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // A deliberate sign-out needs no explanation.
    expect(await page.getByRole('status').count()).toBe(0);
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });

  it('keeps a runUrl opened before signing in', async () => {
    const { page } = await guardedPage(browser, server.url);
    const started = (await (await server.t.req('POST', '/api/experiments/greetings/run', { body: {} })).json()) as { runUrl: string };
    const target = new URL(started.runUrl);
    await page.goto(server.url + target.pathname + target.search);
    await signIn(page, server.t.key);
    await page.locator('[data-cell="0:up"]').waitFor();
    expect(page.url()).toBe(server.url + target.pathname + target.search);
    await page.close();
  });

  it("says another project's run needs that project's key, and opens it with one", async () => {
    const other = await server.t.otherProject();
    const doc = { slug: 'elsewhere', name: 'Elsewhere', dataset: { rows: [{ input: 'yo' }] }, targets: [{ id: 'up', type: 'code', code: 'return row.input.toUpperCase()' }], evaluators: [] };
    expect((await server.t.req('POST', '/api/experiments', { key: other.key, body: doc })).status).toBe(201);
    const started = (await (await server.t.req('POST', '/api/experiments/elsewhere/run', { key: other.key, body: {} })).json()) as { runUrl: string };
    const target = new URL(started.runUrl);
    const slug = target.pathname.split('/')[1]!;
    expect(slug).not.toBe('default');
    const { page, problems } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(server.url + '/default/experiments');

    await page.goto(server.url + target.pathname + target.search);
    await page.getByRole('heading', { name: "Another project's page" }).waitFor();
    const text = (await page.getByTestId('other-project').textContent())!;
    expect(text).toContain(`This address is for project ${slug}, and this tab is signed in to project default.`);
    expect(text).toContain(`sign in with an API key of project ${slug}`);
    expect(await page.getByRole('heading', { name: 'Not found' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    // A project that does not exist reads the same, its name aside: the page tells nothing the address did not.
    await page.goto(server.url + '/no-such-project/experiments');
    await page.getByRole('heading', { name: "Another project's page" }).waitFor();
    expect((await page.getByTestId('other-project').textContent())!.replaceAll('no-such-project', slug)).toBe(text);

    await page.goto(server.url + target.pathname + target.search);
    await page.getByRole('button', { name: 'Sign in with another key' }).click();
    await page.getByLabel('API key').waitFor();
    await expect.poll(() => page.getByRole('status').textContent()).toContain(`sign in with an API key of project ${slug}`);
    await signIn(page, other.key);
    await page.locator('[data-cell="0:up"]').waitFor();
    expect(page.url()).toBe(server.url + target.pathname + target.search);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('says why when a key that stopped working signs the tab out', async () => {
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await server.t.req('POST', `/api/admin/projects/${server.t.projectId}/api-keys`, { key: null, headers: admin });
    const { id, apiKey } = (await created.json()) as { id: string; apiKey: string };
    const { page } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, apiKey);
    await page.getByRole('link', { name: 'Greetings' }).waitFor();
    expect((await server.t.req('DELETE', `/api/admin/api-keys/${id}`, { key: null, headers: admin })).status).toBe(204);
    await page.reload();
    await page.getByLabel('API key').waitFor();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('no longer accepted');
    // Trying another key that is wrong: its own outcome replaces the explanation.
    await signIn(page, 'sk-lw-' + 'y'.repeat(40));
    await expect.poll(() => page.getByRole('alert').textContent()).toBe('Invalid API key');
    expect(await page.getByRole('status').count()).toBe(0);
    await page.close();
  });
});
