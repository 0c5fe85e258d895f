import { describe, expect, it, vi } from 'vitest';
import { FakeClock, settle } from '../../testing/fake-clock.js';
import { CallError, type EvaluationResult, type EvaluatorContext, type EvaluatorInputs, type TargetCall, type TargetOutput } from '../model/results.js';
import { applyControls, CellAbandoned, type CellContext, executeCell, type PreparedEvaluator, type PreparedTarget } from './cell.js';
import { KeyedLimiter } from './limiter.js';
import { cellAt } from './plan.js';
import type { LiveEvent } from '../events.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../turns.js';
import { turnsDuring } from '../../testing/turns.js';

const ROW = { question: 'What is 2+2?', expected: '4' };
const ref = cellAt({ rowIndices: [7], targetIds: ['t1'], repeats: 1 }, 0);

function setup(over: Partial<CellContext> = {}) {
  const clock = new FakeClock();
  const run = new AbortController();
  const ctx: CellContext = {
    clock,
    limiter: new KeyedLimiter(() => 10),
    retry: { maxRetries: 2, baseMs: 100, capMs: 10_000, maxRetryAfterMs: 60_000 },
    timeoutMs: 1_000,
    evaluatorTimeoutMs: 500,
    random: () => 0.5,
    signal: run.signal,
    parameters: { temperature: 0 },
    ...over,
  };
  return { clock, run, ctx };
}

/** A target whose n-th call (1-based) behaves as `script(n, call)` says. */
function target(script: (attempt: number, call: TargetCall) => Promise<TargetOutput>, limitKey?: string) {
  const calls: TargetCall[] = [];
  const prepared: PreparedTarget = {
    id: 't1',
    name: 'Target one',
    adapter: {
      ...(limitKey ? { limitKey } : {}),
      call: (input) => {
        calls.push(input);
        return script(calls.length, input);
      },
    },
  };
  return { prepared, calls };
}

function evaluator(id: string, evaluate: (inputs: EvaluatorInputs, context: EvaluatorContext) => Promise<EvaluationResult>, over: Partial<PreparedEvaluator> = {}): PreparedEvaluator {
  return { id, name: `Evaluator ${id}`, targets: null, inputs: undefined, stringInputs: [], negate: false, threshold: undefined, weight: 1, instance: { evaluate }, ...over };
}

/** Never settles on its own; rejects with the signal's reason when it aborts, as adapters must. */
function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

const failFast = <T>(p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen`)), 1_000))]);

const http = (status: number, retryAfterMs?: number) => new CallError(`HTTP ${status}`, { retryable: status === 429 || status >= 500, status, retryAfterMs });

describe('executeCell: the target call', () => {
  it('records output, cost, tokens and the duration measured on the clock, and runs evaluators concurrently', async () => {
    const { clock, ctx } = setup();
    const t = target(async (_, call) => {
      await clock.sleep(250, call.signal);
      return { output: '4', cost: 0.002, tokens: { input: 12, output: 1 } };
    });
    const started = { a: deferred(), b: deferred() };
    const seen: { inputs: EvaluatorInputs; context: EvaluatorContext }[] = [];
    // Each evaluator waits for the other to start: this only finishes if they run concurrently.
    const a = evaluator('a', async (inputs, context) => {
      seen.push({ inputs, context });
      started.a.resolve();
      await started.b.promise;
      return { status: 'processed', passed: true };
    });
    const b = evaluator('b', async () => {
      started.b.resolve();
      await started.a.promise;
      return { status: 'processed', score: 0.9 };
    });
    const running = executeCell(ref, ROW, t.prepared, [a, b], ctx);
    await clock.advance(250);
    const cell = await failFast(running, 'both evaluators finishing');

    expect(cell).toMatchObject({
      cell: 0, rowIndex: 7, targetId: 't1', repeat: 0, entry: ROW,
      output: '4', cost: 0.002, tokens: { input: 12, output: 1 }, cached: false,
      attempts: 1, retries: [], durationMs: 250,
    });
    expect(cell.ok).toBe(true);
    expect(cell.evaluations.map((e) => [e.evaluatorId, e.name, e.result])).toEqual([
      ['a', 'Evaluator a', { status: 'processed', passed: true }],
      ['b', 'Evaluator b', { status: 'processed', score: 0.9 }],
    ]);
    expect(t.calls[0]).toMatchObject({ row: ROW, parameters: { temperature: 0 } });
    expect(seen[0]!.inputs).toMatchObject({ input: 'What is 2+2?', output: '4', expected_output: '4' });
    expect(seen[0]!.context.target).toEqual({ id: 't1', durationMs: 250, cost: 0.002, tokens: { input: 12, output: 1 } });
  });

  it('marks a response served from the cache as cached', async () => {
    const { ctx } = setup();
    const t = target(async () => ({ output: 'x', cached: true, cost: 0 }));
    expect(await executeCell(ref, ROW, t.prepared, [], ctx)).toMatchObject({ cached: true, cost: 0 });
  });

  it('records a non-retryable failure after one attempt and runs no evaluator', async () => {
    const { ctx } = setup();
    const t = target(async () => {
      throw new CallError('HTTP 400: bad request\nbody: {...}', { retryable: false, status: 400 });
    });
    const evaluate = vi.fn(async (): Promise<EvaluationResult> => ({ status: 'processed', passed: true }));
    const cell = await executeCell(ref, ROW, t.prepared, [evaluator('e', evaluate)], ctx);
    expect(cell).toMatchObject({ error: 'HTTP 400: bad request', attempts: 1, retries: [], evaluations: [], cached: false });
    expect(cell).not.toHaveProperty('output');
    expect(evaluate).not.toHaveBeenCalled();
    expect(t.calls).toHaveLength(1);
  });

  it('retries transient failures with growing backoff, noting each retry, then succeeds', async () => {
    const { clock, ctx } = setup();
    const t = target(async (n) => {
      if (n <= 2) throw http(503);
      return { output: 'ok' };
    });
    const running = executeCell(ref, ROW, t.prepared, [], ctx);
    await clock.advance(49);
    expect(t.calls).toHaveLength(1); // first backoff: 0.5 × 100 ms
    await clock.advance(1);
    expect(t.calls).toHaveLength(2);
    await clock.advance(100); // second backoff: 0.5 × 200 ms
    const cell = await running;
    // Duration is the successful attempt's own call time, without the backoff sleeps.
    expect(cell).toMatchObject({ output: 'ok', attempts: 3, durationMs: 0 });
    expect(cell.retries).toEqual([
      { attempt: 1, delayMs: 50, reason: 'HTTP 503' },
      { attempt: 2, delayMs: 100, reason: 'HTTP 503' },
    ]);
  });

  it('gives up after maxRetries retries and records the last failure', async () => {
    const { clock, ctx } = setup();
    const t = target(async () => {
      throw http(500);
    });
    const running = executeCell(ref, ROW, t.prepared, [evaluator('e', async () => ({ status: 'processed' }))], ctx);
    await clock.advance(10_000);
    const cell = await running;
    expect(cell).toMatchObject({ error: 'HTTP 500', attempts: 3, evaluations: [] });
    expect(cell.retries.map((r) => r.attempt)).toEqual([1, 2]);
  });

  it('waits at least Retry-After before retrying', async () => {
    const { clock, ctx } = setup();
    const t = target(async (n) => {
      if (n === 1) throw http(429, 2_000);
      return { output: 'ok' };
    });
    const running = executeCell(ref, ROW, t.prepared, [], ctx);
    await clock.advance(1_999);
    expect(t.calls).toHaveLength(1);
    await clock.advance(1);
    const cell = await running;
    expect(t.calls).toHaveLength(2);
    expect(cell.retries).toEqual([{ attempt: 1, delayMs: 2_000, reason: 'HTTP 429' }]);
  });

  it('fails without waiting when Retry-After is longer than Assay waits', async () => {
    const { ctx } = setup();
    const t = target(async () => {
      throw http(429, 600_000);
    });
    const cell = await executeCell(ref, ROW, t.prepared, [], ctx);
    expect(cell.attempts).toBe(1);
    expect(cell).toMatchObject({ ok: false, error: expect.stringContaining('longer than Assay waits') });
  });

  it('times out an attempt after timeoutMs, aborts the adapter and retries it as a transient failure', async () => {
    const { clock, ctx } = setup({ retry: { maxRetries: 1, baseMs: 100, capMs: 10_000, maxRetryAfterMs: 60_000 } });
    const t = target((_, call) => hang(call.signal));
    const running = executeCell(ref, ROW, t.prepared, [], ctx);
    await clock.advance(999);
    expect(t.calls[0]!.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(t.calls[0]!.signal.aborted).toBe(true);
    expect((t.calls[0]!.signal.reason as Error).name).toBe('TimeoutError');
    await clock.advance(50 + 1_000);
    const cell = await running;
    expect(cell).toMatchObject({ error: 'timed out after 1000 ms', attempts: 2 });
    expect(cell.retries).toEqual([{ attempt: 1, delayMs: 50, reason: 'timed out after 1000 ms' }]);
  });

  it('abandons the cell when the run aborts during a call, cancelling the call', async () => {
    const { run, ctx } = setup();
    const t = target((_, call) => hang(call.signal));
    const evaluate = vi.fn(async (): Promise<EvaluationResult> => ({ status: 'processed' }));
    const running = executeCell(ref, ROW, t.prepared, [evaluator('e', evaluate)], ctx);
    await settle();
    run.abort();
    await expect(running).rejects.toBeInstanceOf(CellAbandoned);
    expect(t.calls[0]!.signal.aborted).toBe(true);
    expect(evaluate).not.toHaveBeenCalled();
  });

  it('abandons the cell when the run aborts during a retry backoff', async () => {
    const { clock, run, ctx } = setup();
    const t = target(async () => {
      throw http(503, 5_000);
    });
    const running = executeCell(ref, ROW, t.prepared, [], ctx);
    await clock.advance(1_000);
    expect(clock.sleepers).toBe(1);
    run.abort();
    await expect(running).rejects.toBeInstanceOf(CellAbandoned);
    expect(t.calls).toHaveLength(1);
    expect(clock.sleepers).toBe(0);
  });

  it('abandons the cell at once when the run was already aborted', async () => {
    const { run, ctx } = setup();
    run.abort();
    const t = target(async () => ({ output: 'x' }));
    await expect(executeCell(ref, ROW, t.prepared, [], ctx)).rejects.toBeInstanceOf(CellAbandoned);
    expect(t.calls).toHaveLength(0);
  });

  it('holds a shared limit slot only during a call, not during the backoff', async () => {
    const { clock, ctx } = setup({ limiter: new KeyedLimiter(() => 1) });
    const order: string[] = [];
    const slow = target(async (n) => {
      order.push(`slow#${n}`);
      if (n === 1) throw http(429, 1_000);
      return { output: 'slow' };
    }, 'provider:x');
    const quick = target(async () => {
      order.push('quick');
      return { output: 'quick' };
    }, 'provider:x');
    const first = executeCell(ref, ROW, slow.prepared, [], ctx);
    const second = executeCell(ref, ROW, quick.prepared, [], ctx);
    await clock.advance(10);
    expect(order).toEqual(['slow#1', 'quick']);
    await clock.advance(1_000);
    await Promise.all([first, second]);
    expect(order).toEqual(['slow#1', 'quick', 'slow#2']);
    expect((ctx.limiter as KeyedLimiter).get('provider:x').inUse).toBe(0);
  });
});

describe('executeCell: evaluators', () => {
  const ok = async (): Promise<TargetOutput> => ({ output: 'answer' });

  it('records a throwing evaluator as an error without affecting the others', async () => {
    const { ctx } = setup();
    const broken = evaluator('broken', async () => {
      throw new Error('judge exploded\nstack…');
    });
    const fine = evaluator('fine', async () => ({ status: 'processed', passed: true, score: 1 }));
    const cell = await executeCell(ref, ROW, target(ok).prepared, [broken, fine], ctx);
    expect(cell.ok).toBe(true);
    expect(cell.evaluations.map((e) => e.result)).toEqual([
      { status: 'error', details: 'judge exploded', errorType: 'EvaluatorError' },
      { status: 'processed', passed: true, score: 1 },
    ]);
  });

  it('records an evaluator that exceeds its timeout as timed out, aborting it', async () => {
    const { clock, ctx } = setup();
    let evalSignal: AbortSignal | undefined;
    const slow = evaluator('slow', (_, context) => {
      evalSignal = context.signal;
      return hang(context.signal);
    });
    const fine = evaluator('fine', async () => ({ status: 'processed', passed: true }));
    const running = executeCell(ref, ROW, target(ok).prepared, [slow, fine], ctx);
    await clock.advance(499);
    expect(evalSignal!.aborted).toBe(false);
    await clock.advance(1);
    const cell = await running;
    expect(evalSignal!.aborted).toBe(true);
    expect(cell.evaluations[0]!.result).toEqual({ status: 'error', details: 'evaluator timed out after 500 ms', errorType: 'Timeout' });
    expect(cell.evaluations[0]!.durationMs).toBe(500);
    expect(cell.evaluations[1]!.result).toEqual({ status: 'processed', passed: true });
  });

  it('abandons the cell when the run aborts while evaluators run', async () => {
    const { run, ctx } = setup();
    const slow = evaluator('slow', (_, context) => hang(context.signal));
    const running = executeCell(ref, ROW, target(ok).prepared, [slow], ctx);
    await settle();
    run.abort();
    await expect(running).rejects.toBeInstanceOf(CellAbandoned);
  });

  it('runs only the evaluators that apply to the cell’s target', async () => {
    const { ctx } = setup();
    const ran: string[] = [];
    const make = (id: string, targets: ReadonlySet<string> | null) =>
      evaluator(id, async () => (ran.push(id), { status: 'processed' }), { targets });
    const cell = await executeCell(ref, ROW, target(ok).prepared, [make('all', null), make('mine', new Set(['t1', 't2'])), make('other', new Set(['t2']))], ctx);
    expect(ran.sort()).toEqual(['all', 'mine']);
    expect(cell.evaluations.map((e) => e.evaluatorId)).toEqual(['all', 'mine']);
  });

  it('applies threshold and negate to what the evaluator returned', async () => {
    const { ctx } = setup();
    const scored = (id: string, over: Partial<PreparedEvaluator>) => evaluator(id, async () => ({ status: 'processed', score: 0.4, passed: true }), over);
    const cell = await executeCell(ref, ROW, target(ok).prepared, [scored('threshold', { threshold: 0.5 }), scored('negated', { negate: true }), scored('plain', {})], ctx);
    expect(cell.evaluations.map((e) => e.result.status === 'processed' && e.result.passed)).toEqual([false, false, true]);
  });

  it('gives evaluators their mapped inputs, string-converted where declared', async () => {
    const { ctx } = setup();
    let got: EvaluatorInputs | undefined;
    const e = evaluator('e', async (inputs) => ((got = inputs), { status: 'processed' }), { inputs: { expected_output: 'row.gold', output: 'output.n' }, stringInputs: ['output'] });
    await executeCell(ref, { gold: 'G' }, target(async () => ({ output: { n: 5 } })).prepared, [e], ctx);
    expect(got).toMatchObject({ expected_output: 'G', output: '5' });
  });
});

describe('applyControls', () => {
  const processed = (r: Partial<Extract<EvaluationResult, { status: 'processed' }>>): EvaluationResult => ({ status: 'processed', ...r });
  const none = { negate: false, threshold: undefined };

  it('leaves results alone without controls', () => {
    expect(applyControls(processed({ passed: true, score: 0.1 }), none)).toEqual(processed({ passed: true, score: 0.1 }));
    expect(applyControls(processed({ score: 0.1 }), none)).toEqual(processed({ score: 0.1 }));
  });

  it('decides passed from the score when a threshold is set (score ≥ threshold passes)', () => {
    expect(applyControls(processed({ score: 0.5 }), { negate: false, threshold: 0.5 })).toMatchObject({ passed: true });
    expect(applyControls(processed({ score: 0.49, passed: true }), { negate: false, threshold: 0.5 })).toMatchObject({ passed: false });
    expect(applyControls(processed({ passed: true }), { negate: false, threshold: 0.5 })).toMatchObject({ passed: true });
  });

  it('flips passed when negated, after the threshold', () => {
    expect(applyControls(processed({ passed: true }), { negate: true, threshold: undefined })).toMatchObject({ passed: false });
    expect(applyControls(processed({ score: 0.9 }), { negate: true, threshold: 0.5 })).toMatchObject({ passed: false });
    expect(applyControls(processed({ score: 0.1 }), { negate: true, threshold: 0.5 })).toMatchObject({ passed: true });
    expect(applyControls(processed({ score: 0.1 }), { negate: true, threshold: undefined })).not.toHaveProperty('passed');
  });

  it('does not touch skipped or errored results', () => {
    const skipped: EvaluationResult = { status: 'skipped', details: 'no expected output' };
    const error: EvaluationResult = { status: 'error', details: 'x' };
    expect(applyControls(skipped, { negate: true, threshold: 0.5 })).toBe(skipped);
    expect(applyControls(error, { negate: true, threshold: 0.5 })).toBe(error);
  });
});

describe('executeCell: shared limits and timeouts', () => {
  it('starts the per-attempt timeout only once a limiter slot is held', async () => {
    // Regression: the timeout used to start before waiting for the slot, so a call queued
    // behind another lost its time and failed with "timed out" after running only 400 ms.
    const { clock, ctx } = setup({ limiter: new KeyedLimiter(() => 1), retry: { maxRetries: 0, baseMs: 100, capMs: 1_000, maxRetryAfterMs: 1_000 } });
    const slow = () =>
      target(async (_, call) => {
        await clock.sleep(600, call.signal);
        return { output: 'ok' };
      }, 'shared').prepared;
    const first = executeCell(ref, ROW, slow(), [], ctx);
    const second = executeCell({ ...ref, cell: 1 }, ROW, slow(), [], ctx);
    await settle();
    await clock.advance(600);
    await settle();
    await clock.advance(600);
    const results = await Promise.all([first, second]);
    expect(results.map((r) => (r.ok ? r.output : r.error))).toEqual(['ok', 'ok']);
  });
});

describe('executeCell: when a cell is told started', () => {
  it('once its call holds its slot, not while it waits for one; and once, whatever its retries', async () => {
    const live: LiveEvent[] = [];
    const { clock, ctx } = setup({ limiter: new KeyedLimiter(() => 1), live: (e) => live.push(e) });
    const started = () => live.filter((e) => e.type === 'cell_started').map((e) => ('rowIndex' in e ? e.rowIndex : -1));
    // The first fails once after 200 ms (its retry waits for the slot again), then answers after 500 ms.
    const flaky = target(async (attempt, call) => {
      await clock.sleep(attempt === 1 ? 200 : 500, call.signal);
      if (attempt === 1) throw new CallError('HTTP 503', { retryable: true });
      return { output: 'ok' };
    }, 'shared').prepared;
    const slow = target(async (_, call) => {
      await clock.sleep(500, call.signal);
      return { output: 'ok' };
    }, 'shared').prepared;
    const first = executeCell(ref, ROW, flaky, [], ctx);
    const second = executeCell({ ...ref, cell: 1, rowIndex: 8 }, ROW, slow, [], ctx);
    await settle();
    // Row 7 holds the one slot; row 8 waits for it.
    expect(started()).toEqual([7]);
    await clock.advance(3_000);
    const results = await Promise.all([first, second]);
    expect(results.map((r) => r.attempts)).toEqual([2, 1]);
    expect(started()).toEqual([7, 8]);
  });
});

describe('executeCell: hostile outputs and many evaluators', () => {
  const many = (n: number, evaluate: (inputs: EvaluatorInputs) => Promise<EvaluationResult>, over: Partial<PreparedEvaluator> = {}) =>
    Array.from({ length: n }, (_, i) => evaluator(`e${i}`, evaluate, over));

  it('gives the event loop turns between the evaluators of a cell once the turn budget is spent', async () => {
    const { ctx } = setup();
    const t = target(async () => ({ output: 'x' }));
    const evaluators = many(20, async () => ({ status: 'processed', passed: true }));
    setTurnBudget(0);
    try {
      let cell: Awaited<ReturnType<typeof executeCell>> | undefined;
      const turns = await turnsDuring(async () => (cell = await executeCell(ref, ROW, t.prepared, evaluators, ctx)));
      // One turn given away between each two evaluators' starts (before: all 20 in one turn).
      expect(turns).toBeGreaterThanOrEqual(19);
      expect(cell!.evaluations).toHaveLength(20);
      expect(cell!.evaluations.every((e) => e.result.status === 'processed')).toBe(true);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });

  it('abandons the cell when the run stops while it waits for a turn, leaving no rejection unhandled', async () => {
    const { ctx, run } = setup();
    const t = target(async () => ({ output: 'x' }));
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    // The first evaluator fails the moment the run stops: its rejection waits for Promise.all.
    const evaluators = many(5, (_inputs) => new Promise((_, reject) => run.signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true })));
    setTurnBudget(0);
    try {
      const running = executeCell(ref, ROW, t.prepared, evaluators, ctx);
      await new Promise((resolve) => setImmediate(resolve));
      run.abort();
      await expect(running).rejects.toBeInstanceOf(CellAbandoned);
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
      process.off('unhandledRejection', unhandled);
    }
  });

  it('skips an output.<path> evaluation with the reason when the output is JSON past the shape bounds, calling no evaluator', async () => {
    const { ctx } = setup();
    // 200,001 arrays: one more than a cell reads a path from (the bounds of a request body).
    const wide = `[${Array(200_000).fill('[]').join(',')}]`;
    const t = target(async () => ({ output: wide }));
    const evaluate = vi.fn(async (): Promise<EvaluationResult> => ({ status: 'processed', passed: true }));
    const cell = await executeCell(ref, ROW, t.prepared, many(3, evaluate, { inputs: { output: 'output.0' } }), ctx);
    expect(evaluate).not.toHaveBeenCalled();
    expect(cell.evaluations.map((e) => e.result)).toEqual(
      Array(3).fill({ status: 'skipped', details: 'input output (mapped from "output.0") is not read: the text is JSON with more than 200,000 arrays and objects, too large to parse for a path' }),
    );
  });

  it('reads output.<path> from one parse of the output shared by the cell\'s evaluators', async () => {
    const { ctx } = setup();
    const t = target(async () => ({ output: '{"answer": {"text": "4"}}' }));
    const seen: unknown[] = [];
    const evaluators = many(3, async (inputs) => {
      seen.push(inputs.answer);
      return { status: 'processed', passed: true };
    }, { inputs: { answer: 'output.answer' } });
    await executeCell(ref, ROW, t.prepared, evaluators, ctx);
    expect(seen).toEqual([{ text: '4' }, { text: '4' }, { text: '4' }]);
    // The same object, not three parses of the same text.
    expect(seen[1]).toBe(seen[0]);
    expect(seen[2]).toBe(seen[0]);
  });

  it('makes the JSON text of an output object once for all the evaluators that take it as a string', async () => {
    const { ctx } = setup();
    let serialised = 0;
    // The output is the project's value: its toJSON tells how often the engine turned it into text.
    const output = { items: [1, 2, 3], toJSON() { serialised++; return { items: this.items }; } };
    const t = target(async () => ({ output }));
    const seen: unknown[] = [];
    const evaluators = many(10, async (inputs) => {
      seen.push(inputs.output);
      return { status: 'processed', passed: true };
    }, { stringInputs: ['output'] });
    await executeCell(ref, ROW, t.prepared, evaluators, ctx);
    expect(seen).toEqual(Array(10).fill('{"items":[1,2,3]}'));
    expect(serialised).toBe(1);
  });
});
