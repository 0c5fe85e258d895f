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
