// Checks the tool calls in an output against the expected calls (promptfoo's tool-call-f1 and
// trajectory checks, Ragas' ToolCallF1) and, optionally, each call's arguments against the
// tool's JSON Schema (promptfoo's is-valid-openai-tools-call).
//
// The score is F1 over tool names as multisets: calling `search` twice when it is expected once
// is one match and one extra call. `check` decides `passed`: names_f1 needs the same multiset of
// names (arguments are not compared); exact needs the same calls, arguments deep-equal where the
// expected call gives them, and no others; subset needs every expected call among the actual
// ones, its arguments contained in theirs. order_matters asks for the same order (exact,
// names_f1) or the expected calls as a subsequence (subset). Arguments that are not valid JSON
// and schema violations fail whatever the check.
import deepEqual from 'fast-deep-equal';
import type { linearSumAssignment as LinearSumAssignment } from 'linear-sum-assignment';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { missingInput } from './inputs.js';
import { MAX_SCHEMA_WORK, prepareJsonSchema, SCHEMA_INLINE_CHARS, type SchemaCheck } from './json-schema.js';
import { linearSumAssignment } from './lazy.js';

const callSchema = z.object({
  name: z.string().min(1).max(200),
  arguments: z.record(z.string(), z.unknown()).optional().describe('When given, compared by the exact and subset checks'),
});

/** Most tools with a schema: as many as OpenAI takes in one request. */
const MAX_TOOL_SCHEMAS = 128;
/**
 * Compile work of all the tool schemas together, one and a half schemas at the cap: they are
 * compiled synchronously at save, and 128 tools of 200 required properties each (≈ 600 units)
 * held the server seconds; with 3,000 units for all, 300–500 ms on a busy 2-core machine. 1,500
 * is 50 tools of ten described parameters.
 */
export const MAX_TOOL_SCHEMAS_WORK = 1.5 * MAX_SCHEMA_WORK;

const settings = z
  .object({
    expected: z.array(callSchema).max(200).optional().describe('Expected calls; when absent they are read from expected_output'),
    check: z
      .enum(['names_f1', 'exact', 'subset'])
      .default('names_f1')
      .describe('names_f1: same tool names; exact: same calls and arguments, nothing else; subset: every expected call made'),
    order_matters: z.boolean().default(false).describe('Calls must come in the expected order'),
    schemas: z
      .record(z.string().min(1), z.union([z.string().max(200_000), z.record(z.string(), z.unknown())]))
      .refine((r) => Object.keys(r).length <= MAX_TOOL_SCHEMAS, { message: `at most ${MAX_TOOL_SCHEMAS} tool schemas` })
      .optional()
      .describe('JSON Schema of each tool\'s arguments, by tool name; without expected calls, the tools that may be called'),
  })
  .superRefine((s, ctx) => {
    let left = MAX_TOOL_SCHEMAS_WORK;
    for (const [name, schema] of Object.entries(s.schemas ?? {})) {
      const prepared = prepareJsonSchema(schema, left);
      if (!prepared.ok) ctx.addIssue({ code: 'custom', path: ['schemas', name], message: `schemas.${name} ${prepared.reason}` });
      else left -= prepared.work;
    }
  });
type Settings = z.output<typeof settings>;

/** One call as found in an output; `arguments` is parsed when it came as JSON text. */
interface ToolCall {
  name: string;
  /** Absent when the call carried none (an actual call then has no arguments: `{}`). */
  arguments?: unknown;
  argumentsError?: string;
}
type Expected = { name: string; arguments?: unknown };
type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAI sends arguments as JSON text ("" for none); the others send objects. */
function withArguments(name: string, raw: unknown): ToolCall {
  if (raw === undefined || raw === null) return { name };
  if (typeof raw !== 'string') return { name, arguments: raw };
  if (raw.trim() === '') return { name, arguments: {} };
  try {
    return { name, arguments: JSON.parse(raw) };
  } catch (error) {
    return { name, arguments: raw, argumentsError: (error as Error).message };
  }
}

/**
 * One call: OpenAI `{function: {name, arguments}}`, AI SDK `{toolName, input | args}`, Anthropic
 * `{type: 'tool_use', name, input}`, Responses `{type: 'function_call', name, arguments}` or
 * plain `{name, arguments | input}`. In a list of calls (`loose`) a bare `{name}` counts too.
 */
function callFrom(item: unknown, loose: boolean): ToolCall | undefined {
  if (!isRecord(item)) return undefined;
  if (isRecord(item.function) && typeof item.function.name === 'string') return withArguments(item.function.name, item.function.arguments);
  if (typeof item.toolName === 'string') return withArguments(item.toolName, item.input ?? item.args);
  if (typeof item.name !== 'string') return undefined;
  const raw = 'arguments' in item ? item.arguments : 'input' in item ? item.input : item.args;
  const typed = item.type === 'tool_use' || item.type === 'function_call';
  if (typed || raw !== undefined || (loose && item.type === undefined)) return withArguments(item.name, raw);
  return undefined;
}

/** Calls held by a message or a response: tool_calls, toolCalls, content blocks, choices, output. */
function containerCalls(obj: Json): ToolCall[] | undefined {
  const from = (items: unknown[], loose: boolean) => items.flatMap((c) => callFrom(c, loose) ?? []);
  if (Array.isArray(obj.tool_calls)) return from(obj.tool_calls, true);
  if (Array.isArray(obj.toolCalls)) return from(obj.toolCalls, true);
  if (Array.isArray(obj.content)) return from(obj.content.filter((b) => isRecord(b) && b.type === 'tool_use'), false);
  const choice: unknown = Array.isArray(obj.choices) ? obj.choices[0] : undefined;
  if (isRecord(choice) && isRecord(choice.message)) return containerCalls(choice.message) ?? [];
  if (isRecord(obj.message)) return containerCalls(obj.message) ?? [];
  if (Array.isArray(obj.output)) return callsIn(obj.output) ?? [];
  // A chat message without calls (OpenAI sends tool_calls: null or leaves it out).
  if (typeof obj.role === 'string') return [];
  return undefined;
}

/** The calls in a value (JSON text is parsed), or undefined when it has no tool-call shape. */
function callsIn(value: unknown): ToolCall[] | undefined {
  if (typeof value === 'string') {
    if (!/^\s*[[{]/.test(value)) return undefined;
    try {
      return callsIn(JSON.parse(value));
    } catch {
      return undefined;
    }
  }
  if (Array.isArray(value)) {
    // A list of calls, of content blocks or output items, or of messages (a conversation).
    let found: ToolCall[] | undefined = value.length === 0 ? [] : undefined;
    for (const item of value) {
      const call = callFrom(item, true);
      const calls = call ? [call] : isRecord(item) ? containerCalls(item) : undefined;
      if (calls) found = [...(found ?? []), ...calls];
    }
    return found;
  }
  if (!isRecord(value)) return undefined;
  const held = containerCalls(value);
  if (held) return held;
  const single = callFrom(value, false);
  return single ? [single] : undefined;
}

type ExpectedRead = { ok: true; calls: Expected[] } | { ok: false; reason: string };

const namesFrom = (text: string): ExpectedRead => ({ ok: true, calls: text.split(',').map((n) => n.trim()).filter(Boolean).map((name) => ({ name })) });

/** Expected calls from expected_output: any shape callsIn reads, a list of names, or "a, b" text. */
function expectedCallsIn(value: unknown): ExpectedRead {
  let parsed = value;
  if (typeof value === 'string') {
    if (value.trim() === '') return { ok: false, reason: 'is empty: map a column with the expected calls, or set "expected"' };
    try {
      parsed = JSON.parse(value);
    } catch {
      return namesFrom(value);
    }
  }
  if (typeof parsed === 'string') return namesFrom(parsed);
  if (Array.isArray(parsed) && parsed.every((n) => typeof n === 'string')) return namesFrom(parsed.join(','));
  const calls = callsIn(parsed);
  if (!calls) return { ok: false, reason: 'holds no tool calls in a known shape: give tool names, [{"name": …, "arguments": {…}}] or a message with tool_calls' };
  const broken = calls.find((c) => c.argumentsError !== undefined);
  if (broken) return { ok: false, reason: `has arguments of ${broken.name} that are not valid JSON: ${broken.argumentsError}` };
  return { ok: true, calls: calls.map((c) => (c.arguments === undefined ? { name: c.name } : { name: c.name, arguments: c.arguments })) };
}

const SHOWN = 5;
const list = (items: string[]): string => `[${items.join(', ')}]`;
const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/** Every key of `expected` is in `actual` with a containing value; lists match element-wise. */
function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => contains(actual[i], e));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => Object.hasOwn(actual, k) && contains((actual as Record<string, unknown>)[k], v));
  }
  return actual === expected;
}

function callMatches(expected: Expected, actual: ToolCall, mode: 'exact' | 'subset'): boolean {
  if (expected.name !== actual.name) return false;
  if (expected.arguments === undefined) return true;
  if (actual.argumentsError !== undefined) return false;
  const args = actual.arguments ?? {};
  return mode === 'exact' ? deepEqual(expected.arguments, args) : contains(args, expected.arguments);
}

/** The most expected calls that can each be paired with a distinct matching actual call. */
function maxMatching(expected: Expected[], actual: ToolCall[], mode: 'exact' | 'subset', solve: typeof LinearSumAssignment): number {
  if (expected.length === 0 || actual.length === 0) return 0;
  const weights = expected.map((e) => actual.map((a) => (callMatches(e, a, mode) ? 1 : 0)));
  return solve(weights, { maximaze: true }).gain;
}

/** F1 of the name multisets; 1 when both are empty. */
function namesF1(expected: string[], actual: string[]): { f1: number; precision: number; recall: number } {
  if (expected.length === 0 && actual.length === 0) return { f1: 1, precision: 1, recall: 1 };
  const counts = new Map<string, number>();
  for (const name of expected) counts.set(name, (counts.get(name) ?? 0) + 1);
  let matched = 0;
  for (const name of actual) {
    const left = counts.get(name) ?? 0;
    if (left > 0) {
      matched++;
      counts.set(name, left - 1);
    }
  }
  const precision = actual.length === 0 ? 0 : matched / actual.length;
  const recall = expected.length === 0 ? 0 : matched / expected.length;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { f1, precision, recall };
}

/**
 * Why the calls fail `check`, or undefined when they pass it. `solve` is linear-sum-assignment,
 * loaded by the caller when unordered exact or subset matching needs it (see needsSolver).
 */
function checkFailure(s: Settings, expected: Expected[], actual: ToolCall[], solve: typeof LinearSumAssignment | undefined): string | undefined {
  const names = (calls: { name: string }[]) => calls.map((c) => c.name);
  if (s.check === 'names_f1') {
    if (namesF1(names(expected), names(actual)).f1 < 1) return 'the tool names called differ from the expected ones';
    if (s.order_matters && !deepEqual(names(expected), names(actual))) return 'the tools were called in a different order';
    return undefined;
  }
  const mode = s.check;
  if (mode === 'exact' && actual.length !== expected.length) return `${actual.length} calls made, ${expected.length} expected`;
  if (s.order_matters) {
    if (mode === 'exact') {
      const i = expected.findIndex((e, k) => !callMatches(e, actual[k]!, 'exact'));
      return i === -1 ? undefined : `call ${i + 1} should be ${expected[i]!.name}${expected[i]!.arguments === undefined ? '' : ` ${show(expected[i]!.arguments)}`}`;
    }
    // The earliest match for each expected call in turn finds a subsequence whenever one exists.
    let next = 0;
    for (const call of actual) if (next < expected.length && callMatches(expected[next]!, call, 'subset')) next++;
    return next === expected.length ? undefined : `expected call ${expected[next]!.name} not made in order`;
  }
  if (!solve) throw new Error('tool_calls: linear-sum-assignment was not loaded');
  if (maxMatching(expected, actual, mode, solve) === expected.length) return undefined;
  const unmatched = expected.filter((e) => !actual.some((a) => callMatches(e, a, mode)));
  const shown = (unmatched.length > 0 ? unmatched : expected).slice(0, SHOWN).map((e) => (e.arguments === undefined ? e.name : `${e.name} ${show(e.arguments)}`));
  return `expected calls not made${mode === 'exact' ? ' exactly' : ''}: ${shown.join('; ')}`;
}

/** Argument problems: text that is not JSON, and schema violations of tools that have a schema. */
function argumentProblems(actual: ToolCall[], schemas: Map<string, SchemaCheck>, requireKnown: boolean): string[] {
  const problems: string[] = [];
  actual.forEach((call, i) => {
    const at = `call ${i + 1} (${call.name})`;
    if (call.argumentsError !== undefined) {
      problems.push(`${at}: arguments are not valid JSON: ${call.argumentsError}`);
      return;
    }
    const check = schemas.get(call.name);
    if (!check) {
      if (requireKnown) problems.push(`${at}: no tool of that name in schemas`);
      return;
    }
    const errors = check(call.arguments ?? {});
    if (errors.length > 0) problems.push(`${at}: arguments do not match the schema: ${errors.join('; ')}`);
  });
  return problems;
}

/**
 * Inline cap: unordered exact or subset checks compare every expected call with every actual one
 * (deep-equal arguments) and solve an assignment: 54 KB of calls took 55 ms, 540 KB 4.4 s.
 * Arguments checked against schemas take the schema cap. At the cap: 1.5 ms (median, bench/evaluator-caps.ts).
 */
const INLINE_CHARS = 10_000;

/** `tool_calls` / `tool_call_f1`: score = F1 over tool names, passed per `check` and schemas. */
export const toolCalls: EvaluatorDefinition<typeof settings> = {
  id: 'tool_calls',
  aliases: ['tool_call_f1'],
  name: 'Tool Calls',
  category: 'quality',
  description:
    'Finds the tool calls in the output (OpenAI tool_calls, Anthropic tool_use blocks, AI SDK toolCalls or ' +
    '[{name, arguments}]) and compares them with the expected calls: the score is F1 over tool names; check ' +
    'names_f1, exact or subset decides passed. Arguments can be validated against a JSON Schema per tool.',
  requiredInputs: ['output'],
  optionalInputs: ['expected_output'],
  stringInputs: [],
  settings,
  result: ['score', 'passed'],
  needsModel: false,
  inlineChars: (s) => (Object.keys(s.schemas ?? {}).length > 0 ? Math.min(INLINE_CHARS, SCHEMA_INLINE_CHARS) : INLINE_CHARS),
  create(s) {
    const schemas = new Map<string, SchemaCheck>();
    for (const [name, schema] of Object.entries(s.schemas ?? {})) {
      const prepared = prepareJsonSchema(schema);
      // Settings validation refused bad schemas; this guards create() called without parsing.
      if (!prepared.ok) throw new Error(`schemas.${name} ${prepared.reason}`);
      if (prepared.check) schemas.set(name, prepared.check);
    }
    const fixedExpected: Expected[] | undefined = s.expected;
    // Only unordered exact or subset matching pairs calls with linear-sum-assignment.
    const needsSolver = s.check !== 'names_f1' && !s.order_matters;
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        if (inputs.output === null || inputs.output === undefined) return missingInput('output');
        const actual = callsIn(inputs.output) ?? [];
        let expected = fixedExpected;
        if (!expected && inputs.expected_output !== null && inputs.expected_output !== undefined) {
          const read = expectedCallsIn(inputs.expected_output);
          if (!read.ok) return { status: 'skipped', details: `expected_output ${read.reason}` };
          expected = read.calls;
        }
        if (!expected && schemas.size === 0) {
          return { status: 'skipped', details: 'no expected calls: set "expected" in the settings, map expected_output, or set "schemas" to only validate the calls' };
        }
        const called = `called ${list(actual.map((c) => c.name))}`;
        const problems = argumentProblems(actual, schemas, expected === undefined);
        if (!expected) {
          // Schemas only: they list the tools that exist; no score without expected calls.
          const details = problems.length === 0 ? `${called}; arguments valid` : `${called}; ${problems.slice(0, SHOWN).join('; ')}`;
          return { status: 'processed', passed: problems.length === 0, details };
        }
        const { f1, precision, recall } = namesF1(expected.map((e) => e.name), actual.map((c) => c.name));
        const failure = checkFailure(s, expected, actual, needsSolver ? await linearSumAssignment() : undefined);
        const parts = [`${called}, expected ${list(expected.map((e) => e.name))}`, `F1 ${f1.toFixed(3)} (precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)})`];
        if (failure) parts.push(failure);
        parts.push(...problems.slice(0, SHOWN));
        return { status: 'processed', score: f1, passed: !failure && problems.length === 0, details: parts.join('; ') };
      },
    };
  },
};
