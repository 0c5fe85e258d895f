import { noModels } from '../testing/no-models.js';
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { exactMatch } from './exact-match.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };

function run(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return exactMatch.create(exactMatch.settings.parse(settings), { sandbox: createFakeSandbox(), models: noModels }).evaluate(inputs, context);
}

describe('exact_match', () => {
  it('defaults to case-insensitive, trimmed, punctuation-free comparison', () => {
    expect(exactMatch.settings.parse({})).toEqual({ case_sensitive: false, trim_whitespace: true, remove_punctuation: true });
  });

  it.each([
    ['1.50', '1.5'],
    [1, '1.0'],
    ['1e3', '1000'],
    ['true', '1'],
    [true, '1'],
    ['1', 'true'],
    ['true', 'true'],
    ['false', '0'],
    [false, '0'],
    ['0', 'false'],
    ['"1"', 'true'],
    ['"Paris"', 'Paris'],
    ['  Hello!  ', 'hello'],
    ['Paris!', 'paris'],
    ['¡Hola!', 'hola'],
    ['« Bonjour »', 'bonjour'],
    ['Paris .', 'paris'],
    // One character spelt two ways (é precomposed, e + combining acute): equal after NFC, on
    // either side, also when the other side is plain ASCII up to that character.
    ['Caf\u00e9', 'cafe\u0301'],
    ['cafe\u0301', 'Caf\u00e9'],
  ])('%j matches %j with default settings', async (output, expected) => {
    // Only `passed`: LangWatch's exact match reports no score.
    expect(await run({ output, expected_output: expected })).toEqual({ status: 'processed', passed: true });
  });

  it.each([
    ['true', '0'],
    ['false', '1'],
    ['2', 'true'],
    ['hello', 'true'],
    ['true', 'hello'],
    ['2', '3'],
    ['', '0'],
    ['0x10', '16'],
    ['Paris', 'London'],
  ])('%j does not match %j', async (output, expected) => {
    expect(await run({ output, expected_output: expected })).toEqual({ status: 'processed', passed: false });
  });

  it('honours case_sensitive, remove_punctuation and trim_whitespace', async () => {
    expect(await run({ output: 'Paris!', expected_output: 'paris' }, { case_sensitive: true })).toMatchObject({ passed: false });
    expect(await run({ output: 'Paris!', expected_output: 'Paris' }, { case_sensitive: true })).toMatchObject({ passed: true });
    expect(await run({ output: 'Paris!', expected_output: 'paris' }, { remove_punctuation: false })).toMatchObject({ passed: false });
    expect(await run({ output: ' paris', expected_output: 'paris' }, { trim_whitespace: false })).toMatchObject({ passed: false });
  });

  it('numbers and booleans match regardless of the text settings', async () => {
    const strict = { case_sensitive: true, remove_punctuation: false, trim_whitespace: false };
    expect(await run({ output: '1.50', expected_output: '1.5' }, strict)).toMatchObject({ passed: true });
    expect(await run({ output: true, expected_output: '1' }, strict)).toMatchObject({ passed: true });
  });

  it('skips with a mapping hint when an input is missing', async () => {
    const noExpected = await run({ output: 'Paris' });
    expect(noExpected.status).toBe('skipped');
    expect(noExpected.details).toMatch(/^expected_output is missing/);
    expect(noExpected.details).toContain('"expected_output": "row.<column>"');

    const noOutput = await run({ output: null, expected_output: 'Paris' });
    expect(noOutput.status).toBe('skipped');
    expect(noOutput.details).toMatch(/^output is missing/);
  });

  it('refuses settings of the wrong type', () => {
    const parsed = exactMatch.settings.safeParse({ case_sensitive: 'yes' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['case_sensitive']);
  });
});
