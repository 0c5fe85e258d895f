// A 10,000-row × 2-target run (20,000 cells) on the run page: the figures, measured
// and printed. The grid paints within 1.5 s of its data, keeps fewer than 200 row elements in
// the DOM while scrolling to the end, the tab's JS heap stays under 300 MB and no frame takes
// longer than 200 ms while scrolling. Recorded in docs/benchmarks.md ("Run page").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, guardedPage, launch, onServer, type Server, signIn, startServer } from './browser.js';
import { waitForRun } from './expected.js';

declare const performance: { getEntriesByName(n: string): { startTime: number }[]; memory?: { usedJSHeapSize: number } };
declare const document: { querySelector(s: string): { scrollTop: number; scrollHeight: number; clientHeight: number; querySelectorAll(s: string): { length: number; [i: number]: { getAttribute(n: string): string | null } } } | null };
declare function requestAnimationFrame(f: () => void): void;
declare function requestIdleCallback(f: () => void, o: { timeout: number }): void;
declare class PerformanceObserver {
  constructor(f: (list: { getEntries(): { duration: number; entryType: string }[] }) => void);
  observe(o: { type: string; buffered?: boolean }): void;
  disconnect(): void;
}

const ROWS = 10_000;
let server: Server;
let browser: Browser;
let runUrl: string;

beforeAll(async () => {
  server = await startServer();
  const doc = {
    slug: 'big', name: '10,000 rows',
    dataset: { rows: [{ q: 'placeholder', expected: 'x' }] },
    targets: [
      { id: 'echo', name: 'Echo', type: 'code', code: 'return row.q' },
      { id: 'upper', name: 'Upper', type: 'code', code: 'return row.q.toUpperCase()' },
    ],
    evaluators: [{ id: 'exact', name: 'Exact', type: 'langevals/exact_match' }],
    execution: { concurrency: 50 },
  };
  expect((await server.t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
  const data = Array.from({ length: ROWS }, (_, i) => ({ q: `question number ${i} with some words`, expected: i % 3 === 0 ? `QUESTION NUMBER ${i} WITH SOME WORDS` : `question number ${i} with some words` }));
  const started = (await (await server.t.req('POST', '/api/experiments/big/run', { body: { data } })).json()) as { runId: string; runUrl: string };
  const run = await waitForRun(server.t, started.runId, 240_000);
  expect(run.status).toBe('completed');
  runUrl = started.runUrl;
  browser = await launch();
}, 300_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a 10,000-row × 2-target run', () => {
  it('paints fast, stays small in the DOM and the heap, and scrolls without long frames', async () => {
    const { page } = await guardedPage(browser, server.url);
    await page.goto(server.url + '/');
    await signIn(page, server.t.key);
    await page.waitForURL(/\/experiments$/);
    await page.goto(onServer(server, runUrl));
    await page.waitForFunction(() => performance.getEntriesByName('assay:grid-painted').length > 0, undefined, { timeout: 60_000 });
    const marks = await page.evaluate(() => ({
      data: performance.getEntriesByName('assay:data-loaded')[0]!.startTime,
      painted: performance.getEntriesByName('assay:grid-painted')[0]!.startTime,
    }));
    const paintMs = marks.painted - marks.data;
    expect(await page.getByTestId('row-count').textContent()).toBe(`${ROWS.toLocaleString('en-US')} of ${ROWS.toLocaleString('en-US')} rows`);

    // A person starts scrolling once the page is there: let the load's leftovers (the
    // aggregates over 20,000 cells, the garbage of four 5,000-cell pages) finish first, so the
    // frames measured are the scroll's.
    await page.evaluate(() => new Promise((r) => requestIdleCallback(() => r(null), { timeout: 2000 })));
    await page.waitForTimeout(300);

    // Scroll to the end in 3,000 px steps (a fast fling: ~40 rows every two frames), counting
    // row elements and watching for long animation frames (and long tasks) the whole time.
    const scroll = await page.evaluate(async () => {
      const frames: number[] = [];
      const observers = ['long-animation-frame', 'longtask'].map((type) => {
        const o = new PerformanceObserver((list) => {
          for (const e of list.getEntries()) frames.push(e.duration);
        });
        o.observe({ type });
        return o;
      });
      const el = document.querySelector('.grid-scroll')!;
      const frame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));
      let maxRows = 0;
      let steps = 0;
      const t0 = Date.now();
      while (el.scrollTop + el.clientHeight < el.scrollHeight - 1) {
        el.scrollTop += 3000;
        await frame();
        await frame();
        maxRows = Math.max(maxRows, el.querySelectorAll('[role="row"]').length);
        steps++;
      }
      await frame();
      await new Promise((r) => setTimeout(r, 200));
      const rows = el.querySelectorAll('[role="row"][data-row-index]');
      const last = rows.length > 0 ? Number(rows[rows.length - 1]!.getAttribute('data-row-index')) : -1;
      for (const o of observers) o.disconnect();
      return { maxRows, steps, last, ms: Date.now() - t0, longest: frames.length ? Math.max(...frames) : 0, longFrames: frames.length };
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = (await cdp.send('Performance.getMetrics')).metrics;
    const cdpHeap = metrics.find((m) => m.name === 'JSHeapUsedSize')!.value;
    const memoryHeap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
    const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

    console.log(
      [
        '10,000 rows × 2 targets (20,000 cells):',
        `  data loaded ${marks.data.toFixed(0)} ms after navigation, grid painted ${marks.painted.toFixed(0)} ms: paint ${paintMs.toFixed(0)} ms after the data (bound 1500)`,
        `  scrolled to row ${scroll.last} in ${scroll.steps} steps (${scroll.ms} ms): at most ${scroll.maxRows} row elements in the DOM (bound 200)`,
        `  JS heap ${mb(cdpHeap)} MB (CDP JSHeapUsedSize), ${mb(memoryHeap)} MB (performance.memory) (bound 300)`,
        `  long frames while scrolling: ${scroll.longFrames}, longest ${scroll.longest.toFixed(0)} ms (bound 200)`,
      ].join('\n'),
    );
    expect(scroll.last).toBe(ROWS - 1);
    expect(paintMs).toBeLessThan(1500);
    expect(scroll.maxRows).toBeLessThan(200);
    expect(Math.max(cdpHeap, memoryHeap)).toBeLessThan(300 * 1024 * 1024);
    expect(scroll.longest).toBeLessThan(200);
  });
});
