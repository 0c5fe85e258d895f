// The process-wide sandbox budget, with real isolates: however many calls arrive, no more
// isolates exist at once than the budget allows, every call still completes, a call waiting for
// a slot gives up when its signal aborts, and idle isolates make way for waiting calls.
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxFunction } from '../core/model/adapters.js';
import { IsolatedSandbox } from './isolated.js';

const open: SandboxFunction[] = [];
const never = new AbortController().signal;

afterEach(() => {
  for (const fn of open.splice(0)) fn.dispose();
});

async function compile(sandbox: IsolatedSandbox, body: string, timeoutMs = 10_000): Promise<SandboxFunction> {
  const fn = await sandbox.compile(body, { params: ['row'], timeoutMs });
  open.push(fn);
  return fn;
}

/** Resolves once `check` holds, polling; fails the test after `ms` (generous: a busy machine is slow, not wrong). */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Holds ~24 MB of heap while it spins for `row.ms`, then answers with its own row. */
const HOLD = `
  const held = [];
  for (let i = 0; i < 24; i++) held.push(new Array(131072).fill(i + 0.5));
  const end = Date.now() + row.ms;
  while (Date.now() < end) {}
  return { i: row.i, held: held.length };
`;

describe('sandbox memory budget', () => {
  it('never has more isolates alive than the budget allows, and runs every call', async () => {
    const sandbox = new IsolatedSandbox({ memoryBudgetMb: 256 });
    expect(sandbox.stats().limit).toBe(2);
    const fns = await Promise.all(Array.from({ length: 6 }, () => compile(sandbox, HOLD)));
    let mostAlive = 0;
    let mostWaiting = 0;
    const sampler = setInterval(() => {
      const { alive, waiting } = sandbox.stats();
      mostAlive = Math.max(mostAlive, alive);
      mostWaiting = Math.max(mostWaiting, waiting);
    }, 5);
    const results = await Promise.all(fns.map((fn, i) => fn.call([{ i, ms: 300 }], new AbortController().signal)));
    clearInterval(sampler);
    expect(mostAlive).toBeLessThanOrEqual(2);
    expect(results).toEqual(fns.map((_, i) => ({ i, held: 24 })));
    // Counted from the isolates themselves at each creation, not from the budget's own count.
    expect(sandbox.stats().peak).toBe(2);
    expect(mostWaiting).toBeGreaterThan(0);
  }, 60_000);

  it('gives up a call waiting for a slot when its signal aborts, and when its deadline passes', async () => {
    const sandbox = new IsolatedSandbox({ memoryBudgetMb: 128 });
    const spinner = await compile(sandbox, 'while (true) {}', 30_000);
    const other = await compile(sandbox, 'return row.n * 2');
    let spinnerSettled = false;
    const spinning = spinner.call([{}], never).finally(() => (spinnerSettled = true)).catch((e: unknown) => e);
    await until(() => sandbox.stats().alive === 1);

    const controller = new AbortController();
    const waiting = other.call([{ n: 1 }], controller.signal).catch((e: unknown) => e);
    await until(() => sandbox.stats().waiting === 1);
    controller.abort();
    expect(await waiting).toMatchObject({ name: 'AbortError' });
    expect(sandbox.stats().waiting).toBe(0);

    const late = await other.call([{ n: 1 }], AbortSignal.timeout(100)).catch((e: unknown) => e);
    expect(late).toMatchObject({ name: 'TimeoutError' });
    expect(sandbox.stats().waiting).toBe(0);
    // Both gave up while the slot was still held: nothing but their signals ended their wait.
    expect(spinnerSettled).toBe(false);

    spinner.dispose();
    expect(((await spinning) as Error).message).toBe('the code sandbox was disposed');
    expect(await other.call([{ n: 21 }], never)).toBe(42);
  }, 60_000);

  it('hands an idle isolate’s slot to a waiting call; the idle function starts afresh next time', async () => {
    const sandbox = new IsolatedSandbox({ memoryBudgetMb: 128 });
    const counter = await compile(sandbox, 'globalThis.n = (globalThis.n ?? 0) + 1; return globalThis.n');
    const other = await compile(sandbox, 'return "other"');
    expect(await counter.call([{}], never)).toBe(1);
    // Nobody waits: the isolate stays warm, globals and all.
    expect(await counter.call([{}], never)).toBe(2);
    expect(await other.call([{}], never)).toBe('other');
    expect(await counter.call([{}], never)).toBe(1);
    expect(sandbox.stats()).toMatchObject({ alive: 1, peak: 1, waiting: 0 });
  }, 60_000);

  it('compiles, and reports compile errors, while every slot is busy', async () => {
    const sandbox = new IsolatedSandbox({ memoryBudgetMb: 128 });
    const spinner = await compile(sandbox, 'while (true) {}', 30_000);
    const spinning = spinner.call([{}], never).catch((e: unknown) => e);
    await until(() => sandbox.stats().alive === 1);
    await expect(compile(sandbox, 'return 1')).resolves.toBeDefined();
    await expect(sandbox.compile('return 1 +;', { params: [], timeoutMs: 1000 })).rejects.toThrow("code does not compile: Unexpected token ';' (line 1)");
    spinner.dispose();
    await spinning;
  }, 60_000);

  it('frees the slot of a function that times out, runs out of memory or is disposed', async () => {
    const sandbox = new IsolatedSandbox({ memoryBudgetMb: 128 });
    const hang = await compile(sandbox, 'await new Promise(() => {})', 200);
    await expect(hang.call([{}], never)).rejects.toThrow('code timed out after 200 ms');
    const bomb = await compile(sandbox, 'const a = []; while (true) a.push(new Array(1e5).fill(1.5));');
    await expect(bomb.call([{}], never)).rejects.toThrow('code exceeded the 128 MB memory limit');
    const fine = await compile(sandbox, 'return 1');
    expect(await fine.call([{}], never)).toBe(1);
    fine.dispose();
    expect(sandbox.stats()).toMatchObject({ alive: 0, peak: 1, waiting: 0 });
  }, 60_000);
});
