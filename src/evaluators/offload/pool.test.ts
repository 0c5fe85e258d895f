import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import type { OffloadedEvaluation } from '../../core/model/adapters.js';
import type { EvaluatorContext } from '../../core/model/results.js';
import { generator, WORST_CASES } from '../../testing/evaluator-worst-cases.js';
import { noModels } from '../../testing/no-models.js';
import { findEvaluator } from '../catalogue.js';
import { encodeInputs } from './codec.js';
import { createEvaluatorPool } from './pool.js';

const pool = createEvaluatorPool();
afterAll(() => pool.close());

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 5 }, signal: new AbortController().signal };
const sandbox = { compile: () => Promise.reject(new Error('no sandbox')) };

function task(type: string, rawSettings: Record<string, unknown>, inputs: Record<string, unknown>): OffloadedEvaluation {
  const settings = findEvaluator(type)!.settings.parse(rawSettings);
  const encoded = encodeInputs(inputs, Object.keys(inputs));
  return { evaluatorId: type, settings, settingsKey: JSON.stringify(settings), inputs: encoded.values, jsonInputs: encoded.json, target: context.target };
}

describe('the evaluator pool', () => {
  // One test a family: all of them took 55 s in one test at load 4.5, past its 60 s at load 8.
  it.each(WORST_CASES.map((c) => [c.name, c] as const))('gives the same results as inline evaluation just above its cap: %s', async (name, c) => {
    const def = findEvaluator(c.type)!;
    const settings = def.settings.parse(c.settings);
    const inputs = generator(c)(Math.min(Math.max(def.inlineChars!(settings) * 1.5, 2_000), 20_000));
    const inline = await def.create(settings, { sandbox, models: noModels }).evaluate(inputs, context);
    const offloaded = await pool.evaluate(task(c.type, c.settings, inputs), new AbortController().signal);
    expect(offloaded, name).toEqual(inline);
  }, 60_000);

  it('stops an evaluation stuck in synchronous code when its signal aborts, without holding up this thread', async () => {
    // The reported case: 391 KB of Markdown took 29.5 s on the main thread.
    const stuck = task('valid_format', { format: 'markdown' }, { output: '*a'.repeat(195_500) });
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const outcome = await pool.evaluate(stuck, AbortSignal.timeout(300)).then(
      () => 'finished',
      (error: unknown) => (error as Error).name,
    );
    const elapsed = performance.now() - started;
    delay.disable();
    const stallMs = delay.max / 1e6;
    console.log(`aborted stuck markdown evaluation after ${elapsed.toFixed(0)} ms; longest event-loop stall ${stallMs.toFixed(1)} ms`);
    expect(outcome).toBe('AbortError');
    // Generous bounds for a busy machine: unaborted, the evaluation takes tens of seconds.
    expect(elapsed).toBeLessThan(5_000);
    expect(stallMs).toBeLessThan(1_000);
    // The pool replaces the terminated worker on demand.
    expect(await pool.evaluate(task('valid_format', { format: 'json' }, { output: '{}' }), new AbortController().signal)).toEqual({ status: 'processed', passed: true });
  }, 30_000);

  it('reports an evaluator that throws as a rejection with its message', async () => {
    const unknown = { ...task('exact_match', {}, { output: 'a' }), evaluatorId: 'no_such_evaluator' };
    await expect(pool.evaluate(unknown, new AbortController().signal)).rejects.toThrow(/unknown evaluator no_such_evaluator/);
  });

  it('starts no thread before its first task, and refuses tasks once closed', async () => {
    const idle = createEvaluatorPool();
    await idle.close();
    await expect(idle.evaluate(task('exact_match', {}, { output: 'a', expected_output: 'a' }), new AbortController().signal)).rejects.toThrow(/closed/);
    const aborted = AbortSignal.abort();
    await expect(pool.evaluate(task('exact_match', {}, { output: 'a' }), aborted)).rejects.toThrow();
  });
});

describe('a worker that cannot start', () => {
  it('fails the evaluations waiting for it with the error, instead of ending the process or waiting forever', async () => {
    // An install that lost the worker's file, or a worker that throws while loading.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-pool-'));
    const entry = path.join(dir, 'broken-worker.mjs');
    writeFileSync(entry, "throw new Error('cannot load the evaluator libraries');\n");
    const errors: unknown[] = [];
    const broken = createEvaluatorPool({ entry, onError: (e) => errors.push(e) });
    try {
      const call = task('exact_match', {}, { output: 'a', expected_output: 'a' });
      await expect(broken.evaluate(call, new AbortController().signal)).rejects.toThrow(/evaluator worker failed: cannot load the evaluator libraries/);
      expect(errors).toHaveLength(1);
      // The next evaluation gets a new pool, which fails the same way: each says why.
      await expect(broken.evaluate(call, new AbortController().signal)).rejects.toThrow(/cannot load the evaluator libraries/);
    } finally {
      await broken.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('a worker that fails while idle', () => {
  it('is logged and replaced, and the evaluations running on the other workers go on', async () => {
    // A worker that answers, then throws from a stray timer once it is idle (an evaluator
    // library's leftover callback, say): Piscina reports it outside any task.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-pool-'));
    const entry = path.join(dir, 'stray-worker.mjs');
    writeFileSync(
      entry,
      [
        'export default async function (call) {',
        "  if (call.evaluatorId === 'slow') { await new Promise((r) => setTimeout(r, 1500)); return { status: 'processed', passed: true }; }",
        "  setTimeout(() => { throw new Error('a stray timer threw'); }, 50);",
        "  return { status: 'processed', passed: true };",
        '}',
      ].join('\n'),
    );
    const errors: unknown[] = [];
    const stray = createEvaluatorPool({ entry, maxThreads: 2, onError: (e) => errors.push(e) });
    const call = (evaluatorId: string) => ({ ...task('exact_match', {}, { output: 'a', expected_output: 'a' }), evaluatorId });
    try {
      const slow = stray.evaluate(call('slow'), new AbortController().signal);
      await expect(stray.evaluate(call('quick'), new AbortController().signal)).resolves.toEqual({ status: 'processed', passed: true });
      // The slow evaluation, on the other worker, outlives the stray error and still answers.
      await expect(slow).resolves.toEqual({ status: 'processed', passed: true });
      expect(errors.map((e) => (e as Error).message)).toEqual(['a stray timer threw']);
      // The pool still serves.
      await expect(stray.evaluate(call('slow'), new AbortController().signal)).resolves.toEqual({ status: 'processed', passed: true });
    } finally {
      await stray.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('a task waiting for a worker', () => {
  it('goes to the worker that frees up first, not to one still loading', async () => {
    // The first worker loads at once; any later one only once the test writes `load`. A task
    // that arrives while the first is busy starts a second worker; when the first frees up the
    // task must run there, not wait for the second to load (Piscina's balancer sent it there).
    const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-pool-'));
    const entry = path.join(dir, 'gated-worker.mjs');
    writeFileSync(
      entry,
      [
        "import { existsSync, mkdirSync } from 'node:fs';",
        "import { threadId } from 'node:worker_threads';",
        `const dir = ${JSON.stringify(dir)};`,
        "const until = async (name) => { while (!existsSync(dir + '/' + name)) await new Promise((r) => setTimeout(r, 10)); };",
        'let first = true;',
        "try { mkdirSync(dir + '/first'); } catch { first = false; }",
        "if (!first) await until('load');",
        'export default async function (call) {',
        "  if (call.evaluatorId === 'hold') await until('finish');",
        "  return { status: 'processed', details: String(threadId) };",
        '}',
      ].join('\n'),
    );
    const gated = createEvaluatorPool({ entry, maxThreads: 2 });
    const call = (evaluatorId: string) => ({ ...task('exact_match', {}, { output: 'a', expected_output: 'a' }), evaluatorId });
    const signal = new AbortController().signal;
    try {
      const loaded = await gated.evaluate(call('quick'), signal);
      const held = gated.evaluate(call('hold'), signal);
      const waiting = gated.evaluate(call('quick'), signal);
      writeFileSync(path.join(dir, 'finish'), '');
      expect(await held).toEqual(loaded);
      // The waiting task was handed on when the first worker finished; let the second one load.
      writeFileSync(path.join(dir, 'load'), '');
      expect(await waiting).toEqual(loaded);
    } finally {
      await gated.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.runIf(process.platform === 'linux')('the priority of a worker (Linux: per thread)', () => {
  it('is the server’s while the worker loads, and 10 lower (nice +10) while it evaluates', async () => {
    // Loading is Assay's own fixed work; at +10 on a machine busy with other processes it took
    // a worker 35 s, and the evaluation waiting for it reached its deadline.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-pool-'));
    const entry = path.join(dir, 'priority-worker.mjs');
    writeFileSync(
      entry,
      [
        "import os from 'node:os';",
        'const atLoad = os.getPriority();',
        `const { default: evaluate } = await import(${JSON.stringify(new URL('./worker-tsx.mjs', import.meta.url).href)});`,
        'export default async function (call) {',
        '  const result = await evaluate(call);',
        '  return { ...result, details: JSON.stringify({ atLoad, atTask: os.getPriority() }) };',
        '}',
      ].join('\n'),
    );
    const probed = createEvaluatorPool({ entry });
    try {
      const result = await probed.evaluate(task('exact_match', {}, { output: 'a', expected_output: 'a' }), new AbortController().signal);
      expect(result).toMatchObject({ status: 'processed', passed: true });
      const server = os.getPriority();
      expect(JSON.parse(result.details!)).toEqual({ atLoad: server, atTask: Math.min(19, server + 10) });
    } finally {
      await probed.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
