import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { EvaluatorOffload, OffloadedEvaluation } from '../../core/model/adapters.js';
import type { EvaluationResult, EvaluatorContext } from '../../core/model/results.js';
import { generator, WORST_CASES } from '../../testing/evaluator-worst-cases.js';
import { noModels } from '../../testing/no-models.js';
import { CATALOGUE, findEvaluator } from '../catalogue.js';
import { encodeInputs } from './codec.js';
import { loadWorkerEvaluator, OFFLOADABLE } from './worker-catalogue.js';

const sandbox = { compile: () => Promise.reject(new Error('no sandbox')) };
const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 5 }, signal: new AbortController().signal };

/** The catalogue entries the guard can send to the pool: the offline families with a cap. */
const offloadable = CATALOGUE.filter((def) => def.inlineChars !== undefined);

/** An offload port that records what it is sent. */
function recordingOffload(): EvaluatorOffload & { calls: OffloadedEvaluation[] } {
  const calls: OffloadedEvaluation[] = [];
  return {
    calls,
    evaluate: async (call) => {
      calls.push(call);
      return { status: 'processed', passed: true, details: 'offloaded' };
    },
  };
}

describe("the worker's catalogue", () => {
  it('has a loader for every evaluator the guard can offload, and for nothing else', () => {
    expect(offloadable.length).toBeGreaterThan(10);
    expect(Object.keys(OFFLOADABLE).sort()).toEqual(offloadable.map((def) => def.id).sort());
  });

  it.each(offloadable.map((def) => [def.id] as const))('resolves %s to the catalogue’s definition', async (id) => {
    const fromCatalogue = findEvaluator(id)!;
    const inWorker = (await loadWorkerEvaluator(id))!;
    expect(inWorker.id).toBe(id);
    // Both are the guarded wrapper of one module's definition: every field but the wrapper's
    // create() is that definition's own, the same object (its zod schema, its inlineChars…).
    const keys = Object.keys(fromCatalogue).sort();
    expect(Object.keys(inWorker).sort()).toEqual(keys);
    for (const key of keys) {
      if (key !== 'create') expect(inWorker[key as keyof typeof inWorker], `${id}.${key}`).toBe(fromCatalogue[key as keyof typeof fromCatalogue]);
    }
    // The same resolution on a later task, without loading again.
    expect(await loadWorkerEvaluator(id)).toBe(inWorker);
  });

  it.each(WORST_CASES.map((c) => [c.name, c] as const))('creates instances that behave as the catalogue’s, guard included: %s', async (_name, c) => {
    // With an offload port (as on the main thread) both send the same call for inputs above the
    // cap; without one (the worker) both evaluate inline and give the same result.
    const fromCatalogue = findEvaluator(c.type)!;
    const inWorker = (await loadWorkerEvaluator(c.type))!;
    const settings = fromCatalogue.settings.parse(c.settings);
    const cap = fromCatalogue.inlineChars!(settings);
    const large = generator(c)(Math.min(cap * 1.5 + 1_000, c.limit));
    const sent = [fromCatalogue, inWorker].map((def) => {
      const offload = recordingOffload();
      return def.create(settings, { sandbox, models: noModels, offload }).evaluate(large, context).then((result) => ({ result, calls: offload.calls }));
    });
    const [a, b] = await Promise.all(sent);
    expect(b).toEqual(a);
    expect(a!.calls).toHaveLength(1);
    const small = generator(c)(Math.min(200, Math.max(cap - 100, 1)));
    const inline = await Promise.all([fromCatalogue, inWorker].map((def) => def.create(settings, { sandbox, models: noModels }).evaluate(small, context)));
    expect(inline[1]).toEqual(inline[0]);
  });

  it('resolves an id outside its map through the whole catalogue, and an unknown one to undefined', async () => {
    expect(await loadWorkerEvaluator('no_such_evaluator')).toBeUndefined();
    expect(await loadWorkerEvaluator('evaluator_set')).toBe(findEvaluator('evaluator_set'));
  });
});

describe('an evaluator worker', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'assay-worker-modules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Runs the worker in a thread of its own through ./worker-tsx.mjs, as the pool does from the
   * sources, with a module hook (under tsx's) that records every module the thread loads;
   * evaluates `tasks` in turn and returns the results and the source files loaded after each.
   */
  async function loadedModules(tasks: OffloadedEvaluation[]): Promise<{ results: EvaluationResult[]; loaded: string[][] }> {
    const log = path.join(dir, 'loaded.txt');
    writeFileSync(log, '');
    writeFileSync(
      path.join(dir, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, url + '\\n');
  return next(url, context);
}`,
    );
    const entry = path.join(dir, 'entry.mjs');
    writeFileSync(
      entry,
      `import { register } from 'node:module';
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hooks.mjs')).href)});
const { default: evaluate } = await import(${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'worker-tsx.mjs')).href)});
const results = [];
const loaded = [];
for (const task of workerData) {
  results.push(await evaluate(task));
  loaded.push(readFileSync(${JSON.stringify(log)}, 'utf8').split('\\n').filter(Boolean));
}
parentPort.postMessage({ results, loaded });`,
    );
    const worker = new Worker(entry, { workerData: tasks });
    try {
      return await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) without answering`)));
      });
    } finally {
      await worker.terminate();
    }
  }

  function task(type: string, rawSettings: Record<string, unknown>, inputs: Record<string, unknown>): OffloadedEvaluation {
    const settings = findEvaluator(type)!.settings.parse(rawSettings);
    const encoded = encodeInputs(inputs, Object.keys(inputs));
    return { evaluatorId: type, settings, settingsKey: JSON.stringify(settings), inputs: encoded.values, jsonInputs: encoded.json, target: context.target };
  }

  it('loads the module of each evaluator it is sent, when it is sent, and leaves the others unloaded', async () => {
    const { results, loaded } = await loadedModules([
      task('exact_match', {}, { output: 'a', expected_output: 'a' }),
      task('valid_format', { format: 'json' }, { output: '{}' }),
    ]);
    expect(results).toEqual([
      { status: 'processed', passed: true },
      { status: 'processed', passed: true },
    ]);
    const evaluators = (urls: string[]) => urls.filter((u) => /\/src\/evaluators\/[^/]+\.ts$/.test(u)).map((u) => path.basename(u));
    const [first, second] = loaded.map(evaluators);
    // The hook saw the worker load: the lists are real, not empty.
    expect(first).toContain('exact-match.ts');
    expect(first).not.toContain('valid-format.ts');
    expect(second).toContain('valid-format.ts');
    // Neither the catalogue nor an evaluator it was not sent (nor their libraries).
    for (const unrelated of ['catalogue.ts', 'text-similarity.ts', 'language.ts', 'llm-judge.ts', 'context-metrics.ts', 'evaluator-set.ts', 'custom-code.ts']) {
      expect(second, unrelated).not.toContain(unrelated);
    }
    expect(loaded[1]!.filter((u) => u.includes('/node_modules/fastest-levenshtein/'))).toEqual([]);
  }, 60_000);
});
