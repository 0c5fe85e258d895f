// Model outputs are untrusted. Outputs that are HTML or script show as text in the grid and the
// drawer, the Markdown view sanitises them, and nothing in them runs or loads: no flag the
// payloads would set appears on window, no such element is in the DOM, no request leaves.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, type Server, signIn, startServer } from './browser.js';
import { waitForRun } from './expected.js';

declare const window: Record<string, unknown>;
declare const document: { querySelectorAll(s: string): { length: number } };

const PAYLOADS = [
  `<img src=x onerror="window.__pwned='img'">`,
  `<script>window.__pwned='script'</script>`,
  `**bold** [click](javascript:window.__pwned='link') <img src=x onerror="window.__pwned='md-img'"> <iframe src="https://example.com/"></iframe> ![remote](https://example.com/x.png) <a href="https://example.com/" onclick="window.__pwned='click'">site</a>`,
  `<svg onload="window.__pwned='svg'"><style>body{display:none}</style></svg>`,
];

let server: Server;
let browser: Browser;
let page: Page;
let problems: string[];

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'hostile', name: 'Hostile outputs',
    dataset: { rows: PAYLOADS.map((payload) => ({ payload })) },
    targets: [
      { id: 'text', name: 'As text', type: 'code', code: 'return row.payload' },
      { id: 'object', name: 'As JSON', type: 'code', code: 'return { html: row.payload }' },
    ],
    evaluators: [{ id: 'rule', name: 'No script', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'not_contains', value: '<script' }] } }],
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const started = (await (await server.t.req('POST', '/api/experiments/hostile/run', { body: {} })).json()) as { runId: string; runUrl: string };
  await waitForRun(server.t, started.runId);
  browser = await launch();
  ({ page, problems } = await guardedPage(browser, server.url));
  const u = new URL(started.runUrl);
  await page.goto(server.url + u.pathname + u.search);
  await signIn(page, server.t.key);
  await page.locator(`[data-cell="${PAYLOADS.length - 1}:object"]`).waitFor();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const injected = () => page.evaluate(() => ({
  flag: window.__pwned,
  elements: document.querySelectorAll('main img, main script, main iframe, main svg, main style, .drawer img, .drawer script, .drawer iframe, .drawer svg').length,
  jsLinks: document.querySelectorAll('a[href^="javascript:"]').length,
  handlers: document.querySelectorAll('[onerror], [onload], [onclick]').length,
}));

describe('hostile outputs', () => {
  it('shows them as text in the grid', async () => {
    for (const [i, payload] of PAYLOADS.entries()) {
      expect(await page.locator(`[data-cell="${i}:text"] .output`).textContent()).toBe(payload);
      expect(await page.locator(`[data-cell="${i}:object"] .output`).textContent()).toBe(JSON.stringify({ html: payload }));
    }
    expect(await injected()).toEqual({ flag: undefined, elements: 0, jsLinks: 0, handlers: 0 });
  });

  it('shows them as text, JSON and sanitised Markdown in the drawer, and runs nothing', async () => {
    for (const [i, payload] of PAYLOADS.entries()) {
      for (const target of ['text', 'object']) {
        await page.locator(`[data-cell="${i}:${target}"]`).click();
        const dialog = page.getByRole('dialog');
        await dialog.waitFor();
        const output = dialog.locator('.output-view');
        await output.getByLabel('Text').check();
        expect(await output.locator('pre').textContent()).toBe(target === 'text' ? payload : JSON.stringify({ html: payload }));
        await output.getByLabel('JSON').check();
        if (target === 'object') expect(await output.locator('pre').textContent()).toBe(JSON.stringify({ html: payload }, null, 2));
        await output.getByLabel('Markdown').check();
        await output.locator('.markdown').waitFor();
        expect(await injected()).toEqual({ flag: undefined, elements: 0, jsLinks: 0, handlers: 0 });
        if (i === 2 && target === 'text') {
          // Markdown is rendered (sanitised), not shown raw.
          expect(await output.locator('.markdown strong').textContent()).toBe('bold');
          expect(await output.locator('.markdown a[href="https://example.com/"]').getAttribute('rel')).toContain('noopener');
        }
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      }
    }
    expect(await axeViolations(page)).toEqual([]);
    await page.waitForTimeout(300);
    expect(await injected()).toEqual({ flag: undefined, elements: 0, jsLinks: 0, handlers: 0 });
    // No request left the origin. CSP reports are expected here: Chrome checks the policy when
    // DOMPurify's inert parse meets an inline handler or style, and refuses it (defence in depth;
    // the payload never ran, as the flag shows). They must be those refusals and nothing else.
    expect(problems.filter((p) => !p.startsWith('CSP: '))).toEqual([]);
    for (const v of await cspViolations(page)) expect(v).toMatch(/^(script-src-attr|style-src-elem|style-src-attr|script-src-elem) inline$/);
  });
});
