// Per-call cost of every offline evaluator on 1 KB inputs (the catalogue's entries that need
// no model), in this process: median and p95 of 2,000 timed calls after 200 warm-up calls.
// Part of `npm run bench` (`--only=evaluators`).
import { setMaxListeners } from 'node:events';
import type { EvaluatorDefinition } from '../src/core/model/adapters.js';
import type { EvaluatorContext, EvaluatorInputs } from '../src/core/model/results.js';
import { CATALOGUE } from '../src/evaluators/catalogue.js';
import { IsolatedSandbox } from '../src/sandbox/isolated.js';
import { noModels } from '../src/testing/no-models.js';

/** About 1 KB of ordinary prose. */
const TEXT = (
  'The quick brown fox jumps over the lazy dog while the customer support assistant explains how to reset a password. ' +
  'Open Settings, choose Security, then Reset password; a link arrives by email within a few minutes. '
)
  .repeat(6)
  .slice(0, 1024);
const JSON_TEXT = JSON.stringify({ answer: TEXT.slice(0, 900), confidence: 0.9, tags: ['support', 'password'] });

/** Settings an evaluator needs to do real work (the rest run on their defaults). */
const SETTINGS: Record<string, Record<string, unknown>> = {
  custom_code: { code: 'return output.length > 10' },
  run_budget: { max_latency_ms: 5000, max_words: 500 },
  evaluator_set: {
    evaluators: [
      { id: 'a', type: 'exact_match' },
      { id: 'b', type: 'langevals/basic', settings: { rules: [{ field: 'output', rule: 'contains', value: 'password' }] } },
    ],
  },
};

/** Inputs per evaluator family; default: prose output and expected output. */
function inputsFor(def: EvaluatorDefinition): EvaluatorInputs {
  if (def.id === 'valid_format' || def.id === 'json_compare') return { input: TEXT, output: JSON_TEXT, expected_output: JSON_TEXT };
  if (def.id === 'tool_calls') {
    return { output: { tool_calls: [{ function: { name: 'reset_password', arguments: JSON.stringify({ user: 'a', note: TEXT.slice(0, 800) }) } }] }, expected_output: [{ name: 'reset_password' }] };
  }
  if (def.requiredInputs.includes('expected_contexts') || def.id.startsWith('context')) return { input: TEXT, output: TEXT, contexts: [TEXT.slice(0, 500), TEXT.slice(500)], expected_contexts: [TEXT.slice(0, 500)] };
  return { input: TEXT, output: TEXT, expected_output: TEXT.replace('fox', 'cat'), contexts: [TEXT] };
}

const context: EvaluatorContext = {
  row: { question: TEXT },
  target: { id: 't', durationMs: 120, cost: 0.0001, tokens: { input: 250, output: 250 } },
  signal: new AbortController().signal,
};

/** 1 KB samples of each format valid_format checks. */
const FORMAT_SAMPLES: Record<string, string> = {
  json: JSON_TEXT,
  xml: `<notes>${'<note id="1"><to>Ana</to><body>Reset the password from Settings.</body></note>'.repeat(14)}</notes>`,
  html: `<div>${'<p>Open <b>Settings</b>, then <a href="/security">Security</a>.</p>'.repeat(16)}</div>`,
  sql: `SELECT u.id, u.email, count(o.id) AS orders FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.created_at > '2024-01-01' AND u.status IN ('active', 'trial') GROUP BY u.id, u.email HAVING count(o.id) > 3 ORDER BY orders DESC LIMIT 50;`.repeat(3),
  markdown: `# Resetting a password\n\n${'- Open **Settings** and choose *Security*.\n- Click [Reset](https://example.com).\n'.repeat(12)}`,
  python: `def reset(user):\n${'    if user.active:\n        send_link(user.email)\n    else:\n        log("inactive", user.id)\n'.repeat(10)}`,
  yaml: `steps:\n${'  - open: settings\n    then: security\n    note: "reset the password"\n'.repeat(14)}`,
};

/** Evaluators measured once per setting value (a metric, a format). */
const VARIANTS: Record<string, { label: string; settings: Record<string, unknown>; inputs?: EvaluatorInputs }[]> = {
  valid_format: Object.entries(FORMAT_SAMPLES).map(([format, text]) => ({ label: format, settings: { format }, inputs: { output: text } })),
  text_similarity: ['bleu', 'gleu', 'rouge1', 'rouge2', 'rougeL', 'meteor', 'chrf', 'token_f1'].map((metric) => ({ label: metric, settings: { metric } })),
  string_distance: ['levenshtein', 'jaro_winkler', 'hamming'].map((metric) => ({ label: metric, settings: { metric } })),
};

export interface EvaluatorTiming {
  id: string;
  medianMs: number;
  p95Ms: number;
  status: string;
}

export async function timeEvaluators(calls = 2000): Promise<EvaluatorTiming[]> {
  const sandbox = new IsolatedSandbox();
  const out: EvaluatorTiming[] = [];
  for (const def of CATALOGUE) {
    if (def.needsModel) continue;
    const variants = VARIANTS[def.id] ?? [{ label: '', settings: SETTINGS[def.id] ?? {} }];
    for (const variant of variants) {
      const id = variant.label ? `${def.id} (${variant.label})` : def.id;
      const parsed = def.settings.safeParse(variant.settings);
      if (!parsed.success) {
        out.push({ id, medianMs: NaN, p95Ms: NaN, status: `needs settings: ${parsed.error.issues[0]?.message}` });
        continue;
      }
      const instance = def.create(parsed.data, { sandbox, models: noModels });
      const inputs = variant.inputs ?? inputsFor(def);
      let status = '';
      for (let i = 0; i < 200; i++) status = (await instance.evaluate(inputs, context)).status;
      const times: number[] = [];
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        await instance.evaluate(inputs, context);
        times.push(performance.now() - t0);
      }
      await instance.dispose?.();
      times.sort((a, b) => a - b);
      out.push({ id, medianMs: times[Math.floor(times.length / 2)]!, p95Ms: times[Math.floor(times.length * 0.95)]!, status });
    }
  }
  return out;
}

export interface OffloadTiming {
  label: string;
  /** Wall time of one call, awaited alone (median of the timed calls), µs. */
  medianUs: number;
  /** Main-thread busy time per call (event-loop utilisation while 50 calls run at a time), µs. */
  mainThreadUs: number;
}

/**
 * What the evaluator pool costs: the default cheap evaluators (the benchmarks' exact_match,
 * text_rules and competitor_blocklist) raw and through the guard with a pool present (inline,
 * their inputs being within the caps), and one evaluation sent to the pool.
 */
export async function timeOffload(calls = 2000): Promise<OffloadTiming[]> {
  const { createEvaluatorPool } = await import('../src/evaluators/offload/pool.js');
  const { findEvaluator } = await import('../src/evaluators/catalogue.js');
  const pool = createEvaluatorPool();
  const sandbox = new IsolatedSandbox();
  const out: OffloadTiming[] = [];
  // 50 calls at a time share this one signal, as a cell's evaluators share the cell's.
  setMaxListeners(0, context.signal);
  const measure = async (label: string, evaluate: () => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await evaluate();
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await evaluate();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const before = performance.eventLoopUtilization();
    for (let i = 0; i < calls; i += 50) await Promise.all(Array.from({ length: 50 }, evaluate));
    const elu = performance.eventLoopUtilization(before);
    out.push({ label, medianUs: times[Math.floor(times.length / 2)]! * 1000, mainThreadUs: (elu.active / calls) * 1000 });
  };
  try {
    const cheap = [
      { type: 'exact_match', settings: {}, inputs: { output: TEXT, expected_output: TEXT } },
      { type: 'text_rules', settings: { rules: [{ field: 'output', rule: 'not_contains', value: 'error' }] }, inputs: { output: TEXT } },
      { type: 'competitor_blocklist', settings: {}, inputs: { output: TEXT } },
    ];
    for (const c of cheap) {
      const def = findEvaluator(c.type)!;
      const settings = def.settings.parse(c.settings);
      const raw = def.create(settings, { sandbox, models: noModels });
      const guarded = def.create(settings, { sandbox, models: noModels, offload: pool });
      await measure(`${c.type}, 1 KB: raw`, () => raw.evaluate(c.inputs, context));
      await measure(`${c.type}, 1 KB: guarded, inline`, () => guarded.evaluate(c.inputs, context));
    }
    // The same small evaluation sent to the pool: the round trip and the main thread's share.
    const def = findEvaluator('exact_match')!;
    const settings = def.settings.parse({});
    const task = { evaluatorId: 'exact_match', settings, settingsKey: JSON.stringify(settings), inputs: { output: TEXT, expected_output: TEXT }, jsonInputs: [], target: context.target };
    await measure('exact_match, 1 KB: offloaded', () => pool.evaluate(task, context.signal));
  } finally {
    await pool.close();
  }
  return out;
}
