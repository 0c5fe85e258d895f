import { noModels } from '../testing/no-models.js';
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { competitorBlocklist, textRules } from './text-rules.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };
const deps = { sandbox: createFakeSandbox(), models: noModels };

function rules(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return textRules.create(textRules.settings.parse(settings), deps).evaluate(inputs, context);
}

function blocklist(inputs: EvaluatorInputs, settings: Record<string, unknown> = {}) {
  return competitorBlocklist.create(competitorBlocklist.settings.parse(settings), deps).evaluate(inputs, context);
}

describe('text_rules (langevals/basic)', () => {
  it('by default fails outputs that mention "artificial intelligence"', async () => {
    expect(await rules({ output: 'I love AI' })).toEqual({ status: 'processed', passed: true });
    const failed = await rules({ output: 'I love artificial intelligence' });
    expect(failed).toMatchObject({ status: 'processed', passed: false });
    expect(failed.details).toBe('rule 0 failed: output should not contain "artificial intelligence"');
  });

  it('contains is a case-sensitive substring check, as in LangWatch', async () => {
    const settings = { rules: [{ rule: 'contains', value: 'Your' }] };
    expect(await rules({ output: 'Your effort is appreciated' }, settings)).toMatchObject({ passed: true });
    expect(await rules({ output: 'your effort is appreciated' }, settings)).toMatchObject({ passed: false });
  });

  it('needs every rule to pass and lists every failing rule', async () => {
    const settings = {
      rules: [
        { rule: 'contains', value: 'Paris' },
        { field: 'input', rule: 'not_contains', value: 'password' },
        { rule: 'matches_regex', value: '^\\d+ km$' },
      ],
    };
    expect(await rules({ input: 'how far?', output: 'Paris\n450 km' }, settings)).toMatchObject({ passed: true });
    const result = await rules({ input: 'my password is x', output: 'London' }, settings);
    expect(result).toMatchObject({ passed: false });
    expect(result.details).toBe(
      'rule 0 failed: output should contain "Paris"; rule 1 failed: input should not contain "password"; rule 2 failed: output should match regex "^\\\\d+ km$"',
    );
  });

  it('not_matches_regex reports what it found', async () => {
    const settings = { rules: [{ rule: 'not_matches_regex', value: '\\b\\d{3}-\\d{4}\\b' }] };
    expect(await rules({ output: 'no phone here' }, settings)).toMatchObject({ passed: true });
    const result = await rules({ output: 'call 555-1234 now' }, settings);
    expect(result.details).toContain('(found "555-1234")');
  });

  it('accepts named groups in JavaScript and Python spelling', async () => {
    for (const value of ['(?<year>\\d{4})', '(?P<year>\\d{4})']) {
      expect(await rules({ output: 'in 1999' }, { rules: [{ rule: 'matches_regex', value }] })).toMatchObject({ passed: true });
    }
  });

  // A backtracking engine would not finish this in the test's lifetime (2^50,000 paths); RE2 answers.
  it('answers a catastrophic-backtracking pattern on 50 KB', async () => {
    const output = `${'a'.repeat(50_000)}!`;
    const matches = await rules({ output }, { rules: [{ rule: 'matches_regex', value: '(a+)+$' }] });
    const notMatches = await rules({ output }, { rules: [{ rule: 'not_matches_regex', value: '(a+)+$' }] });
    expect(matches).toMatchObject({ passed: false });
    expect(notMatches).toMatchObject({ passed: true });
  });

  it.each([
    ['lookahead', 'foo(?=bar)'],
    ['lookbehind', '(?<=a)b'],
    ['backreference', '(a)\\1'],
    ['syntax error', '[abc'],
  ])('refuses a %s at settings validation, naming the rule', (_kind, value) => {
    const parsed = textRules.settings.safeParse({ rules: [{ rule: 'contains', value: 'ok' }, { rule: 'not_matches_regex', value }] });
    expect(parsed.success).toBe(false);
    const issue = parsed.error?.issues[0];
    expect(issue?.path).toEqual(['rules', 1, 'value']);
    expect(issue?.message).toMatch(/^rule 1: /);
  });

  it('does not treat a contains value as a regex, so any text is accepted', () => {
    expect(textRules.settings.safeParse({ rules: [{ rule: 'contains', value: '(?=' }] }).success).toBe(true);
  });

  it('refuses an empty rule list and unknown rule kinds', () => {
    expect(textRules.settings.safeParse({ rules: [] }).error?.issues[0]?.message).toBe('add at least one rule');
    expect(textRules.settings.safeParse({ rules: [{ rule: 'icontains', value: 'x' }] }).error?.issues[0]?.path).toEqual(['rules', 0, 'rule']);
  });

  it('skips when a rule reads an input that is missing', async () => {
    const result = await rules({ output: 'x' }, { rules: [{ field: 'input', rule: 'contains', value: 'x' }] });
    expect(result.status).toBe('skipped');
    expect(result.details).toMatch(/^input is missing/);
  });
});

describe('competitor_blocklist', () => {
  it('passes with score 0 when no competitor is mentioned', async () => {
    expect(await blocklist({ output: 'We build on our own stack', input: 'What do you use?' })).toEqual({ status: 'processed', passed: true, score: 0 });
  });

  it('counts distinct competitors in input and output, any case, and names them', async () => {
    const result = await blocklist({ input: 'Is this better than google?', output: 'Unlike OPENAI and Google, we …' });
    expect(result).toMatchObject({ status: 'processed', passed: false, score: 2 });
    expect(result.details).toBe('Competitors mentioned: OpenAI (output), Google (input, output)');
  });

  it('matches whole words only', async () => {
    expect(await blocklist({ output: 'We visited the Googleplex; microsofty vibes' })).toMatchObject({ passed: true, score: 0 });
    expect(await blocklist({ output: 'an OpenAI-compatible API' })).toMatchObject({ passed: false, score: 1 });
  });

  it('handles names with punctuation literally and ignores duplicate names', async () => {
    const settings = { competitors: ['C++', 'Node.js', 'node.js'] };
    expect(await blocklist({ output: 'Rewrite it in C++ or Nodexjs' }, settings)).toMatchObject({ passed: false, score: 1, details: 'Competitors mentioned: C++ (output)' });
    expect(await blocklist({ output: 'we love NODE.JS' }, settings)).toMatchObject({ score: 1 });
  });

  it('matches any case the Unicode way, in ASCII and other text alike', async () => {
    // ſ (long s) and K (Kelvin sign) are other cases of s and k when case is ignored.
    const settings = { competitors: ['Sam', 'Kia', 'Ōkami'] };
    expect(await blocklist({ output: 'asked ſAM and kia' }, settings)).toMatchObject({ passed: false, score: 2, details: 'Competitors mentioned: Sam (output), Kia (output)' });
    expect(await blocklist({ output: 'the \u212Aia dealer' }, settings)).toMatchObject({ passed: false, score: 1 });
    expect(await blocklist({ output: 'plain ascii: sam, KIA and okami' }, settings)).toMatchObject({ passed: false, score: 2, details: 'Competitors mentioned: Sam (output), Kia (output)' });
    expect(await blocklist({ output: 'ŌKAMI, samsung, kiang' }, settings)).toMatchObject({ passed: false, score: 1, details: 'Competitors mentioned: Ōkami (output)' });
  });

  it('skips when neither input nor output is given', async () => {
    expect(await blocklist({})).toMatchObject({ status: 'skipped' });
  });

  it('refuses an empty competitor list or blank names', () => {
    expect(competitorBlocklist.settings.safeParse({ competitors: [] }).success).toBe(false);
    expect(competitorBlocklist.settings.safeParse({ competitors: ['  '] }).error?.issues[0]?.path).toEqual(['competitors', 0]);
  });
});
