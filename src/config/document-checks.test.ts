// The save-time code check (document-checks.ts): it asks the sandbox to compile every code target
// and custom code evaluator, and says nothing when the sandbox cannot be loaded. The HTTP side,
// with the real sandbox, is test/hostile/code-documents.test.ts.
import { describe, expect, it, vi } from 'vitest';
import { experimentDocumentSchema } from '../core/model/experiment.js';
import { setTurnBudget, TURN_BUDGET_MS } from '../core/turns.js';
import { validateEvaluatorSettings } from '../evaluators/catalogue.js';
import { turnsDuring } from '../testing/turns.js';
import type { CompileOutcome } from '../sandbox/compile-check.js';
import { IsolatedSandbox } from '../sandbox/isolated.js';
import { documentChecks } from './document-checks.js';

// Counted, to see that a save validates each evaluator's settings once.
vi.mock('../evaluators/catalogue.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../evaluators/catalogue.js')>();
  return { ...original, validateEvaluatorSettings: vi.fn(original.validateEvaluatorSettings) };
});

const project = { id: 'p', slug: 'p', name: 'P', createdAt: 0 };
const limits = { maxRows: 10, maxRowBytes: 10_000 };
const document = experimentDocumentSchema.parse({
  name: 'x',
  dataset: { rows: [{ q: 'a' }] },
  targets: [{ id: 't', type: 'code', code: 'return (' }],
  evaluators: [{ id: 'e', type: 'custom_code', settings: { code: 'return ]' } }],
});

async function issuesWith(sandbox: { check(body: string, params: readonly string[]): Promise<CompileOutcome> }) {
  const issues = [];
  for (const check of documentChecks(limits, sandbox)) issues.push(...(await check(document, project)));
  return issues;
}

describe('the save-time code check', () => {
  it('names each piece of code that does not compile, with the parameters it runs with', async () => {
    const asked: string[][] = [];
    const real = new IsolatedSandbox();
    const issues = await issuesWith({ check: (body, params) => (asked.push([...params]), real.check(body, params)) });
    expect(asked).toEqual([['row', 'parameters'], ['input', 'output', 'expected_output', 'contexts', 'row', 'inputs']]);
    expect(issues).toEqual([
      { path: ['targets', 0, 'code'], message: "code does not compile: Unexpected token '}' at the end of the code (line 1)" },
      { path: ['evaluators', 0, 'settings', 'code'], message: "code does not compile: Unexpected token ']' (line 1)" },
    ]);
  });

  it('is skipped, not failed, when isolated-vm cannot be loaded', async () => {
    const issues = await issuesWith({ check: async () => ({ status: 'unavailable', message: 'code could not be loaded: no native module' }) });
    expect(issues).toEqual([]);
  });
});

describe('the save-time template check', () => {
  it("refuses a document whose templates have more than 100,000 tags in all, at the template that goes past it, without parsing the rest", async () => {
    // Eleven messages at the per-template bound (10,000 tags each): the eleventh goes past.
    const heavy = experimentDocumentSchema.parse({
      name: 'heavy',
      targets: [{ id: 't', type: 'prompt', model: 'openai/gpt-4o-mini', messages: Array.from({ length: 12 }, (_, i) => ({ role: 'user', content: `${'{{a}}'.repeat(10_000)} ${i}` })) }],
    });
    const issues = [];
    for (const check of documentChecks(limits, { check: async (): Promise<CompileOutcome> => ({ status: 'unavailable', message: 'not needed here' }) })) issues.push(...(await check(heavy, project)));
    expect(issues).toEqual([{ path: ['targets', 0, 'messages', 10, 'content'], message: expect.stringContaining('more than 100000 tags') }]);
    // Ten of them are within the bound.
    const ten = experimentDocumentSchema.parse({ ...heavy, targets: [{ ...heavy.targets[0]!, messages: (heavy.targets[0] as { messages: unknown[] }).messages.slice(0, 10) }] });
    const none = [];
    for (const check of documentChecks(limits, { check: async (): Promise<CompileOutcome> => ({ status: 'unavailable', message: 'not needed here' }) })) none.push(...(await check(ten, project)));
    expect(none).toEqual([]);
  }, 60_000);
});

describe('the save-time evaluator checks', () => {
  const unavailable = { check: async (): Promise<CompileOutcome> => ({ status: 'unavailable', message: 'not needed here' }) };
  const rules = [{ field: 'output', rule: 'matches_regex', value: 'a{100}' }];
  const many = experimentDocumentSchema.parse({
    name: 'many',
    dataset: { rows: [{ q: 'a' }] },
    targets: [{ id: 't', type: 'code', code: 'return 1' }],
    evaluators: [
      ...Array.from({ length: 30 }, (_, i) => ({ id: `e${i}`, type: 'text_rules', settings: { rules } })),
      { id: 's', type: 'evaluator_set', settings: { evaluators: Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, type: 'custom_code', settings: { code: 'return true' } })) } },
    ],
  });

  it("validate each evaluator's settings once: the code check reuses the settings check's verdict", async () => {
    const validate = vi.mocked(validateEvaluatorSettings);
    validate.mockClear();
    const issues = [];
    for (const check of documentChecks(limits, unavailable)) issues.push(...(await check(many, project)));
    expect(issues).toEqual([]);
    // Before, the code check validated every evaluator again (compiling its patterns twice a save).
    expect(validate).toHaveBeenCalledTimes(many.evaluators.length);
  });

  it('look for code a turn of the event loop at a time, per evaluator and per set member', async () => {
    const codeCheck = documentChecks(limits, unavailable)[4]!;
    setTurnBudget(0);
    try {
      // Alone (no settings check before it), so it validates each evaluator itself, a turn each.
      const turns = await turnsDuring(async () => codeCheck(many, project));
      expect(turns).toBeGreaterThanOrEqual(30 + 20);
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
  });
});
