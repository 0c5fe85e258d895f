// Model outputs are untrusted. Outputs that are HTML or script show as text in the grid and the
// drawer, the Markdown view shows HTML inside Markdown as text and sanitises what Markdown
// makes, and nothing in them runs or loads: no flag the payloads would set appears on window, no
// such element is in the DOM, no request leaves, and the page's CSP never has to refuse anything.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, type Browser, cspViolations, guardedPage, launch, screenshot, type Server, signIn, startServer } from './browser.js';
import { waitForRun } from './expected.js';

declare const window: Record<string, unknown>;
declare const document: { querySelectorAll(s: string): { length: number } };

const PAYLOADS = [
  `<img src=x onerror="window.__pwned='img'">`,
  `<script>window.__pwned='script'</script>`,
  `**bold** [click](javascript:window.__pwned='link') <img src=x onerror="window.__pwned='md-img'"> <iframe src="https://example.com/"></iframe> ![remote](https://example.com/x.png) <a href="https://example.com/" onclick="window.__pwned='click'">site</a> [docs](https://example.com/docs)`,
  `<svg onload="window.__pwned='svg'"><style>body{display:none}</style></svg>`,
  // Not hostile, only styled: common in model output, and an inline style the CSP refuses.
  `## Styled output\n\nA <span style="color: red">red</span> word, **bold**, and a <div align="center" style="font-weight: bold">centred</div> line.\n\n| kind | count |\n| --- | ---: |\n| red | 1 |`,
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
          // Markdown is rendered (sanitised); the HTML inside it is shown as the text it is.
          expect(await output.locator('.markdown strong').textContent()).toBe('bold');
          expect(await output.locator('.markdown a[href="https://example.com/docs"]').getAttribute('rel')).toContain('noopener');
          expect(await output.locator('.markdown').textContent()).toContain(`<a href="https://example.com/" onclick="window.__pwned='click'">site</a>`);
        }
        if (i === PAYLOADS.length - 1 && target === 'text') {
          expect(await output.locator('.markdown').textContent()).toContain('<span style="color: red">red</span>');
          expect(await output.locator('.markdown h2').textContent()).toBe('Styled output');
          expect(await output.locator('.markdown td').allTextContents()).toEqual(['red', '1']);
          expect(await output.locator('.markdown [style]').count()).toBe(0);
          await page.setViewportSize({ width: 1280, height: 800 });
          await screenshot(page, 'run-page-drawer-markdown');
          await page.setViewportSize({ width: 390, height: 844 });
          await output.scrollIntoViewIfNeeded();
          await screenshot(page, 'run-page-mobile-390-drawer-markdown');
          await page.setViewportSize({ width: 1440, height: 900 });
        }
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      }
    }
    expect(await axeViolations(page)).toEqual([]);
    await page.waitForTimeout(300);
    expect(await injected()).toEqual({ flag: undefined, elements: 0, jsLinks: 0, handlers: 0 });
    // No request left the origin, and no CSP violation: the browser's HTML parser (DOMPurify's
    // inert parse included, which Chrome holds to the page's policy) never met an inline handler
    // or style, so the console stays clean; the policy remains the backstop.
    expect(problems).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
  });
});
