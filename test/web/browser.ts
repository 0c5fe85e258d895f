// Helpers for the web page tests: Debian's Chromium driven by playwright-core (never a
// downloaded browser), a real Assay on a loopback port, sign-in, axe-core, and guards that
// fail a test on any CSP violation or any request to another origin.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { listen, startTestAssay, type TestAssay } from '../../src/testing/harness.js';

// Code passed to page.evaluate() runs in the page; this file is typechecked with Node's types
// only, so the few browser globals it touches are declared here, for this module alone.
declare const window: { __csp?: string[]; axe?: unknown } & Record<string, unknown>;
declare function addEventListener(type: 'securitypolicyviolation', listener: (e: { violatedDirective: string; blockedURI: string }) => void): void;
declare const document: unknown;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(import.meta.dirname, '../../docs/screenshots');

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  // performance.memory with real figures (not bucketed) for the heap measurement.
  '--enable-precise-memory-info',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh Chromium profile (its own --user-data-dir), removed on close. */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'assay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface Server {
  t: TestAssay;
  url: string;
  /** Cuts every open connection, event streams included; the server keeps listening. */
  dropConnections(): void;
  close(): Promise<void>;
}

/**
 * A real Assay (SQLite in a temp dir) on 127.0.0.1, runUrl pointing at it. `workerConcurrency`:
 * cells executing at once across all runs (ASSAY_WORKER_CONCURRENCY), so one run can wait on another.
 */
export async function startServer(options: { pingMs?: number; workerConcurrency?: number } = {}): Promise<Server> {
  const { workerConcurrency, ...compose } = options;
  const t = await startTestAssay(workerConcurrency === undefined ? {} : { workerConcurrency }, undefined, compose);
  const http = await listen(t);
  t.config.publicUrl = http.url;
  return {
    t, url: http.url,
    dropConnections: () => http.dropConnections(),
    async close() {
      await http.close();
      await t.close();
    },
  };
}

/** What a test file starts and must stop: a browser, a fake agent, a server. */
interface Closable {
  close(): Promise<void>;
}

/**
 * Closes what a test file started, in this order, for its afterAll; one that never started
 * (its beforeAll failed first) is skipped, so the failure shown is the real one.
 */
export async function closeAll(...started: (Closable | undefined)[]): Promise<void> {
  for (const s of started) await s?.close();
}

export interface Guarded {
  page: Page;
  /** CSP violations and requests to other origins seen so far. */
  problems: string[];
}

/**
 * A new page that records CSP violations and every request that is not to `origin`
 * (the page must work offline and call nothing but its own server).
 */
export async function guardedPage(browser: Browser, origin: string): Promise<Guarded> {
  const page = await browser.context.newPage();
  const problems: string[] = [];
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(origin + '/') && !u.startsWith('data:') && !u.startsWith('blob:')) problems.push(`request to another origin: ${u}`);
  });
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    addEventListener('securitypolicyviolation', (e) => {
      (window.__csp ??= []).push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}

export async function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => window.__csp ?? []);
}

export async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * A guarded page at 1280 × 800, signed in on the experiments list: each test then opens the
 * page it looks at itself.
 */
export async function signedInOnList(browser: Browser, server: Server, options: { height?: number; recordCanvas?: boolean } = {}): Promise<Guarded> {
  const guarded = await guardedPage(browser, server.url);
  // uPlot draws its axes on a canvas: what it writes there is kept, per canvas, when asked.
  if (options.recordCanvas) await recordCanvasText(guarded.page);
  await guarded.page.setViewportSize({ width: 1280, height: options.height ?? 800 });
  await guarded.page.goto(server.url + '/');
  await signIn(guarded.page, server.t.key);
  await guarded.page.getByRole('heading', { name: 'Experiments' }).waitFor();
  return guarded;
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, which the page's CSP does not govern.
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = window.axe as { run(ctx: unknown, o: object): Promise<{ violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] }> };
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** The path and query of a runUrl, on the test server. */
export function onServer(server: Server, runUrl: string): string {
  const u = new URL(runUrl);
  return server.url + u.pathname + u.search;
}

declare const CanvasRenderingContext2D: { prototype: { fillText(text: string, x: number, y: number): void; measureText(text: string): { width: number }; textAlign: string } };

/** A text a page drew on a canvas (uPlot draws its axes so), with where and on which canvas. */
export interface CanvasText {
  canvas: string;
  text: string;
  x: number;
  y: number;
  /** Its width as drawn (measureText), its alignment on x, and the canvas's width, all in canvas pixels. */
  width: number;
  align: string;
  canvasWidth: number;
}

/** Keeps what the page's canvases draw as text, per canvas (each gets `data-drawn`): read it with `canvasTexts`. */
export async function recordCanvasText(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const drawn: { canvas: string; text: string; x: number; y: number; width: number; align: string; canvasWidth: number }[] = [];
    window.__canvasText = drawn;
    let canvases = 0;
    const fillText = CanvasRenderingContext2D.prototype.fillText;
    CanvasRenderingContext2D.prototype.fillText = function (this: { canvas: { dataset: Record<string, string>; width: number }; measureText(text: string): { width: number }; textAlign: string }, text: string, x: number, y: number) {
      this.canvas.dataset.drawn ??= String(canvases++);
      drawn.push({ canvas: this.canvas.dataset.drawn, text: String(text), x, y, width: this.measureText(String(text)).width, align: this.textAlign, canvasWidth: this.canvas.width });
      return fillText.call(this, text, x, y);
    };
  });
}

/** Every text drawn so far on the page's canvases (recordCanvasText). */
export async function canvasTexts(page: Page): Promise<CanvasText[]> {
  return (await page.evaluate(() => window.__canvasText)) as CanvasText[];
}
