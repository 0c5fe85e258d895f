// The figures behind each evaluator family's inline cap (`inlineChars`, see
// src/evaluators/offload/guard.ts): the family's costliest known input
// (src/testing/evaluator-worst-cases.ts) at the cap, run inline in this process, median and
// slowest of 7 timed calls after 3 warm-up calls; and the same input at 4× the cap, to show how
// the cost grows past it. Part of `npm run bench` (`--only=caps`); `node --import tsx
// bench/evaluator-caps.ts` runs it alone.
import type { EvaluatorContext, EvaluatorInputs } from '../src/core/model/results.js';
import { findEvaluator } from '../src/evaluators/catalogue.js';
import { charsUpTo } from '../src/evaluators/offload/guard.js';
import { generator, WORST_CASES, type WorstCase } from '../src/testing/evaluator-worst-cases.js';
import { noModels } from '../src/testing/no-models.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 100 }, signal: new AbortController().signal };
const sandbox = { compile: () => Promise.reject(new Error('no sandbox in this bench')) };

export interface CapTiming {
  name: string;
  cap: number;
  /** Characters of the inputs timed (as the guard counts them), at most the cap. */
  chars: number;
  medianMs: number;
  maxMs: number;
  /** Median at about 4× the cap (absent when 4× the cap passes the family's limit). */
  beyondMs?: number;
}

/** Inputs of the case as close below `chars` as the generator allows. */
function inputsWithin(c: WorstCase, chars: number): EvaluatorInputs {
  const make = generator(c);
  let n = chars;
  for (;;) {
    const inputs = make(n);
    if (charsUpTo(inputs, chars) <= chars || n < 16) return inputs;
    n = Math.floor(n * 0.95);
  }
}

async function time(evaluate: () => Promise<unknown>, warm: number, timed: number): Promise<{ median: number; max: number }> {
  for (let i = 0; i < warm; i++) await evaluate();
  const times: number[] = [];
  for (let i = 0; i < timed; i++) {
    const t0 = performance.now();
    await evaluate();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]! };
}

/** Times every worst case at its family's cap (or at `sizeOverride` characters). */
export async function timeCaps(sizeOverride?: number): Promise<CapTiming[]> {
  const out: CapTiming[] = [];
  for (const c of WORST_CASES) {
    const def = findEvaluator(c.type)!;
    const settings = def.settings.parse(c.settings);
    // No offload port in the deps: the guard leaves the evaluator inline.
    const instance = def.create(settings, { sandbox, models: noModels });
    const cap = sizeOverride ?? def.inlineChars?.(settings) ?? Number.POSITIVE_INFINITY;
    // A cap of 0 means "always in the pool"; its cost is shown on 1,000 characters.
    const size = Math.min(cap || 1_000, c.limit);
    const inputs = inputsWithin(c, size);
    const at = await time(() => instance.evaluate(inputs, context), 20, 21);
    const row: CapTiming = { name: c.name, cap, chars: charsUpTo(inputs, Number.MAX_SAFE_INTEGER), medianMs: at.median, maxMs: at.max };
    if (cap > 0 && cap * 4 <= c.limit) {
      const beyond = inputsWithin(c, cap * 4);
      row.beyondMs = (await time(() => instance.evaluate(beyond, context), 1, 3)).median;
    }
    out.push(row);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const override = process.argv.find((a) => a.startsWith('--chars='))?.slice('--chars='.length);
  for (const r of await timeCaps(override ? Number(override) : undefined)) {
    console.log(`${r.name.padEnd(28)} cap ${String(r.cap).padStart(9)}  ${String(r.chars).padStart(9)} chars: median ${r.medianMs.toFixed(2)} ms, max ${r.maxMs.toFixed(2)} ms; 4× cap: ${r.beyondMs === undefined ? '—' : `${r.beyondMs.toFixed(1)} ms`}`);
  }
}
