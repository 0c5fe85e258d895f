// An evaluator set's members share one compile budget (evaluator-set.ts): before, a set of 50
// text_rules members, each at MAX_RULES_WORK, was saved and held the main thread 4–6 s at save
// and at every run start.
import { describe, expect, it } from 'vitest';
import { validateEvaluatorSettings } from './catalogue.js';
import { MAX_SCHEMA_WORK, schemaWork } from './json-schema.js';
import { regexWork } from './safe-regex.js';
import { MAX_RULES_WORK } from './text-rules.js';
import { MAX_TOOL_SCHEMAS_WORK } from './tool-calls.js';

const costly = { field: 'output', rule: 'matches_regex', value: 'a{1000}' };
const textRules = (id: string, n: number) => ({ id, type: 'text_rules', settings: { rules: Array.from({ length: n }, () => costly) } });

function issuesOf(settings: unknown) {
  const v = validateEvaluatorSettings('evaluator_set', settings);
  return v.ok ? [] : v.issues;
}

describe('an evaluator set, compile budget', () => {
  it("refuses regex rules past MAX_RULES_WORK for all its text_rules members together, naming the member's rule", () => {
    const perMember = Math.floor(MAX_RULES_WORK / regexWork(costly.value));
    expect(perMember).toBeGreaterThan(1);
    // Each member alone is within its own budget (the reported set: 50 members of 24 rules).
    expect(validateEvaluatorSettings('text_rules', textRules('m', perMember).settings).ok).toBe(true);
    const issues = issuesOf({ evaluators: Array.from({ length: 50 }, (_, i) => textRules(`m${i}`, perMember)) });
    expect(issues).toEqual([{ path: ['evaluators', 1, 'settings', 'rules', 0, 'value'], message: expect.stringContaining(`at most ${MAX_RULES_WORK} are allowed in one evaluator set, all its members together`) }]);
  });

  it('accepts members whose rules fit the one budget together', () => {
    const n = Math.floor(MAX_RULES_WORK / regexWork(costly.value));
    expect(issuesOf({ evaluators: Array.from({ length: n }, (_, i) => textRules(`m${i}`, 1)) })).toEqual([]);
    expect(issuesOf({ evaluators: Array.from({ length: n + 1 }, (_, i) => textRules(`m${i}`, 1)) })).toEqual([{ path: ['evaluators', n, 'settings', 'rules', 0, 'value'], message: expect.stringContaining('evaluator set') }]);
  });

  it('refuses JSON schemas past MAX_TOOL_SCHEMAS_WORK for all its tool_calls and valid_format members together', () => {
    const wide = (n: number) => ({ type: 'object', properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: 'string' }])) });
    let n = 1;
    while ((schemaWork(wide(n + 1)) as number) <= MAX_SCHEMA_WORK) n++;
    const fit = Math.floor(MAX_TOOL_SCHEMAS_WORK / (schemaWork(wide(n)) as number));
    const members = Array.from({ length: fit + 1 }, (_, i) =>
      i % 2 === 0
        ? { id: `m${i}`, type: 'tool_calls', settings: { schemas: { search: wide(n) } } }
        : { id: `m${i}`, type: 'valid_format', settings: { format: 'json', json_schema: JSON.stringify(wide(n)) } },
    );
    expect(issuesOf({ evaluators: members.slice(0, fit) })).toEqual([]);
    const path = fit % 2 === 0 ? ['schemas', 'search'] : ['json_schema'];
    expect(issuesOf({ evaluators: members })).toEqual([{ path: ['evaluators', fit, 'settings', ...path], message: expect.stringContaining(`at most ${MAX_TOOL_SCHEMAS_WORK} are allowed in one evaluator set`) }]);
  });

  it("still reports a member's own problems", () => {
    expect(issuesOf({ evaluators: [textRules('a', 1), { id: 'a', type: 'text_rules', settings: { rules: [{ rule: 'matches_regex', value: '(?=x)' }] } }, { id: 'c', type: 'nope' }] })).toEqual([
      { path: ['evaluators', 1, 'id'], message: 'duplicate member id "a"' },
      { path: ['evaluators', 1, 'settings', 'rules', 0, 'value'], message: expect.stringContaining('rule 0:') },
      { path: ['evaluators', 2, 'type'], message: 'unknown evaluator type "nope"' },
    ]);
  });
});
