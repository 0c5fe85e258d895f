import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxFunction } from '../core/model/adapters.js';
import { CallError } from '../core/model/results.js';
import { IsolatedSandbox } from './isolated.js';

const sandbox = new IsolatedSandbox();
const open: SandboxFunction[] = [];
const never = new AbortController().signal;

// Cases not about the timeout get one a loaded machine cannot reach with quick code.
async function compile(body: string, timeoutMs = 10_000, params = ['row', 'parameters']): Promise<SandboxFunction> {
  const fn = await sandbox.compile(body, { params, timeoutMs });
  open.push(fn);
  return fn;
}

async function failure(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallError);
  return error as CallError;
}

afterEach(() => {
  for (const fn of open.splice(0)) fn.dispose();
});

describe('IsolatedSandbox', () => {
  it('returns JSON values computed from the arguments', async () => {
    const fn = await compile('return { q: row.question.toUpperCase(), n: parameters.n * 2, list: [1, "a", null] }');
    expect(await fn.call([{ question: 'hi' }, { n: 21 }], never)).toEqual({ q: 'HI', n: 42, list: [1, 'a', null] });
    expect(await fn.call([{ question: 'again' }, { n: 1 }], never)).toEqual({ q: 'AGAIN', n: 2, list: [1, 'a', null] });
  });

  it('runs async code', async () => {
    const fn = await compile('await null; const v = await Promise.resolve(row.x); return v + 1');
    expect(await fn.call([{ x: 1 }, {}], never)).toBe(2);
  });

  it('maps non-JSON results the way JSON.stringify does', async () => {
    expect(await (await compile('return undefined')).call([{}, {}], never)).toBeNull();
    expect(await (await compile('return () => 1')).call([{}, {}], never)).toBeNull();
    expect(await (await compile('return { f() {}, a: 1, d: new Date(0), u: undefined }')).call([{}, {}], never)).toEqual({
      a: 1,
      d: '1970-01-01T00:00:00.000Z',
    });
    const big = await failure((await compile('return 1n')).call([{}, {}], never));
    expect(big.message).toMatch(/^code returned a value that is not JSON: .*BigInt/);
  });

  it('reports a thrown error with its message and line, and keeps working', async () => {
    const fn = await compile('const a = 1;\nif (row.bad) throw new Error("bad row " + a);\nreturn "ok"');
    const error = await failure(fn.call([{ bad: true }, {}], never));
    expect(error.message).toBe('code threw: bad row 1 (line 2)');
    expect(error.retryable).toBe(false);
    expect(error.message).not.toMatch(/node_modules|\/work\//);
    expect(await fn.call([{ bad: false }, {}], never)).toBe('ok');
  });

  it('reports thrown non-errors and runtime type errors', async () => {
    expect((await failure((await compile('throw "plain"')).call([{}, {}], never))).message).toBe('code threw: plain');
    expect((await failure((await compile('throw { code: 7 }')).call([{}, {}], never))).message).toBe('code threw: {"code":7}');
    expect((await failure((await compile('\n\nreturn row.a.b')).call([{}, {}], never))).message).toMatch(
      /^code threw: Cannot read properties of undefined \(reading 'b'\) \(line 3\)$/,
    );
  });

  it('refuses code that does not compile, naming the line', async () => {
    const error = await failure(sandbox.compile('const a = 1;\nreturn a +;', { params: ['row'], timeoutMs: 1000 }));
    expect(error.message).toBe("code does not compile: Unexpected token ';' (line 2)");
    expect(error.retryable).toBe(false);
  });

  it('stops an infinite loop at the timeout, then runs the next call on a fresh isolate', async () => {
    const fn = await compile('if (row.loop) { while (true) {} } return "done"', 200);
    const started = Date.now();
    const error = await failure(fn.call([{ loop: true }, {}], never));
    expect(error.message).toBe('code timed out after 200 ms');
    // Stopped (the loop never ends on its own); loose enough for a loaded CI machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await fn.call([{ loop: false }, {}], never)).toBe('done');
  }, 60_000);

  it('stops a loop that starts after an await, and async code that never settles', async () => {
    const loop = await compile('await null; while (true) {}', 200);
    expect((await failure(loop.call([{}, {}], never))).message).toBe('code timed out after 200 ms');
    const hang = await compile('if (row.hang) await new Promise(() => {}); return 1', 200);
    expect((await failure(hang.call([{ hang: true }, {}], never))).message).toBe('code timed out after 200 ms');
    expect(await hang.call([{ hang: false }, {}], never)).toBe(1);
  });

  it('stops a memory bomb at the memory limit, then works again', async () => {
    const fn = await compile('if (!row.bomb) return "fine"; const a = []; while (true) a.push(new Array(1e5).fill(1.5));', 10_000);
    const error = await failure(fn.call([{ bomb: true }, {}], never));
    expect(error.message).toBe('code exceeded the 128 MB memory limit');
    expect(await fn.call([{ bomb: false }, {}], never)).toBe('fine');
  });

  it('exposes no host objects', async () => {
    const fn = await compile(`return {
      process: typeof process, require: typeof require, fetch: typeof fetch, module: typeof module,
      setTimeout: typeof setTimeout, setInterval: typeof setInterval, queueMicrotask: typeof queueMicrotask,
      Buffer: typeof Buffer, globalProcess: typeof globalThis.process, XMLHttpRequest: typeof XMLHttpRequest,
      importFn: await import('node:fs').then(() => 'loaded', (e) => 'refused'),
      fnCtor: (() => { try { return typeof Function('return this')().process } catch { return 'threw' } })(),
      ctorEscape: row.constructor.constructor('return typeof process')(),
      globals: Object.getOwnPropertyNames(globalThis).filter((n) => !/^[A-Z]/.test(n)).sort(),
    }`);
    const seen = (await fn.call([{}, {}], never)) as Record<string, unknown>;
    expect(seen).toMatchObject({
      process: 'undefined', require: 'undefined', fetch: 'undefined', module: 'undefined',
      setTimeout: 'undefined', setInterval: 'undefined', queueMicrotask: 'undefined',
      Buffer: 'undefined', globalProcess: 'undefined', XMLHttpRequest: 'undefined',
      importFn: 'refused', fnCtor: 'undefined', ctorEscape: 'undefined',
    });
    // Only ECMAScript builtins (lower-case names: functions and values of the language itself).
    expect(seen.globals).toEqual([
      'console', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape',
      'eval', 'globalThis', 'isFinite', 'isNaN', 'parseFloat', 'parseInt', 'undefined', 'unescape',
    ]);
  });

  it('keeps console.log harmless', async () => {
    const fn = await compile('console.log("hello", row); console.error("x"); return 1');
    expect(await fn.call([{}, {}], never)).toBe(1);
  });

  it('rejects promptly when the signal aborts, and recovers', async () => {
    // The code's own timeout is far off, so only the abort can have stopped the loop.
    const fn = await compile('if (row.loop) { while (true) {} } return 2', 60_000);
    const controller = new AbortController();
    const started = Date.now();
    const pending = fn.call([{ loop: true }, {}], controller.signal);
    setTimeout(() => controller.abort(), 50);
    const error = await pending.catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    // The next call waits for the looping one to end: it runs at once only if the abort
    // stopped the loop (else after the 60 s timeout). Loose enough for a loaded CI machine.
    expect(await fn.call([{ loop: false }, {}], never)).toBe(2);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 120_000);

  it('rejects at once with an already aborted signal, and a queued call rejects when aborted', async () => {
    const fn = await compile('if (row.loop) { while (true) {} } return 3', 300);
    const aborted = AbortSignal.abort();
    await expect(fn.call([{}, {}], aborted)).rejects.toMatchObject({ name: 'AbortError' });
    const first = fn.call([{ loop: true }, {}], never).catch((e: unknown) => e);
    const controller = new AbortController();
    const queued = fn.call([{ loop: false }, {}], controller.signal).catch((e: unknown) => e);
    controller.abort();
    expect((await queued) as Error).toMatchObject({ name: 'AbortError' });
    expect(((await first) as Error).message).toBe('code timed out after 300 ms');
    expect(await fn.call([{ loop: false }, {}], never)).toBe(3);
  });

  it('refuses calls after dispose', async () => {
    const fn = await compile('return 1');
    fn.dispose();
    expect((await failure(fn.call([{}, {}], never))).message).toBe('the code sandbox was disposed');
  });

  it('keeps calls to one function in order', async () => {
    const fn = await compile('globalThis.n = (globalThis.n ?? 0) + 1; return [row.i, globalThis.n]');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fn.call([{ i }, {}], new AbortController().signal)));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => [i, i + 1]));
  });
});

describe('IsolatedSandbox limits', () => {
  it('refuses results larger than 10 MB', async () => {
    const fn = await compile('return "x".repeat(11 * 1024 * 1024)', 5000);
    expect((await failure(fn.call([{}, {}], never))).message).toBe('code returned more than 10 MB of JSON');
  });

  it('stops code blocked in Atomics.wait and deep async recursion', async () => {
    const wait = await compile('Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); return 1', 200);
    expect((await failure(wait.call([{}, {}], never))).message).toBe('code timed out after 200 ms');
    const recurse = await compile('async function f() { await null; return f() } return f()', 200);
    expect((await failure(recurse.call([{}, {}], never))).message).toBe('code timed out after 200 ms');
  });

  it('reports a body that ends early at its last line', async () => {
    const error = await failure(sandbox.compile('const a = [1,\n2', { params: [], timeoutMs: 1000 }));
    expect(error.message).toMatch(/^code does not compile: .* at the end of the code \(line 2\)$/);
  });
});
