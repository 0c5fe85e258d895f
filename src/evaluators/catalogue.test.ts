import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { CATALOGUE, describeCatalogue, findEvaluator, validateEvaluatorSettings } from './catalogue.js';

describe('findEvaluator', () => {
  it('finds an evaluator by id and by its LangWatch alias', () => {
    expect(findEvaluator('exact_match')?.id).toBe('exact_match');
    expect(findEvaluator('langevals/exact_match')?.id).toBe('exact_match');
    expect(findEvaluator('langevals/basic')?.id).toBe('text_rules');
    expect(findEvaluator('langevals/competitor_blocklist')?.id).toBe('competitor_blocklist');
    expect(findEvaluator('langevals/valid_format')?.id).toBe('valid_format');
  });

  it('sends every LangWatch code evaluator to custom_code', () => {
    expect(findEvaluator('code/abc')?.id).toBe('custom_code');
    expect(findEvaluator('code')?.id).toBe('custom_code');
    expect(findEvaluator('code/')).toBeUndefined();
  });

  it('does not guess at unknown types', () => {
    expect(findEvaluator('exact-match')).toBeUndefined();
    expect(findEvaluator('LANGEVALS/EXACT_MATCH')).toBeUndefined();
  });

  it('resolves every id and alias in the catalogue to its own entry', () => {
    for (const def of CATALOGUE) for (const name of [def.id, ...def.aliases]) expect(findEvaluator(name)).toBe(def);
  });
});

describe('validateEvaluatorSettings', () => {
  it('fills in defaults, also when settings are absent or null (as LangWatch stores them)', () => {
    const defaults = { ok: true, settings: { case_sensitive: false, trim_whitespace: true, remove_punctuation: true } };
    expect(validateEvaluatorSettings('langevals/exact_match', undefined)).toEqual(defaults);
    expect(validateEvaluatorSettings('langevals/exact_match', null)).toEqual(defaults);
    expect(validateEvaluatorSettings('exact_match', { case_sensitive: true })).toMatchObject({ ok: true, settings: { case_sensitive: true } });
  });

  it('drops keys it does not know, so LangWatch settings with extra fields still import', () => {
    const result = validateEvaluatorSettings('langevals/basic', { model: 'openai/gpt-5-mini', rules: [{ rule: 'contains', value: 'x' }] });
    expect(result).toEqual({ ok: true, settings: { rules: [{ field: 'output', rule: 'contains', value: 'x' }] } });
  });

  it('names the path of each invalid setting', () => {
    expect(validateEvaluatorSettings('exact_match', { case_sensitive: 'yes' })).toMatchObject({ ok: false, issues: [{ path: ['case_sensitive'] }] });
    const regex = validateEvaluatorSettings('langevals/basic', { rules: [{ rule: 'contains', value: 'a' }, { rule: 'matches_regex', value: '(?<=a)b' }] });
    expect(regex).toMatchObject({ ok: false, issues: [{ path: ['rules', 1, 'value'] }] });
    expect(validateEvaluatorSettings('code/abc', {})).toMatchObject({ ok: false, issues: [{ path: ['code'] }] });
    expect(validateEvaluatorSettings('valid_format', { json_schema: '{' })).toMatchObject({ ok: false, issues: [{ path: ['json_schema'] }] });
  });

  it('refuses an unknown type with one issue listing the closest names first', () => {
    const result = validateEvaluatorSettings('langevals/exact_mach', {});
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    expect(result.issues[0]?.path).toEqual([]);
    expect(result.issues[0]?.message).toMatch(/^unknown evaluator type "langevals\/exact_mach" \(did you mean "langevals\/exact_match"\?\); the closest known: langevals\/exact_match, exact_match, /);
    expect(result.issues[0]?.message).toContain('code/<id>');
    const typo = validateEvaluatorSettings('valid_fromat', {});
    expect(typo.ok ? '' : typo.issues[0]?.message).toMatch(/ \(did you mean "valid_format"\?\); the closest known: valid_format, langevals\/valid_format, /);
    // A few names, not the catalogue: the message says where the rest are.
    const missing = validateEvaluatorSettings('exactmatch', {});
    const message = missing.ok ? '' : missing.issues[0]!.message;
    expect(message).toMatch(/\(did you mean "(langevals\/)?exact_match"\?\)/);
    expect(message.split('; the closest known: ')[1]!.split(';')[0]!.split(', ')).toHaveLength(5);
    expect(message).toMatch(/GET \/api\/evaluators lists all \d+/);
    // Nothing near: no guess.
    const far = validateEvaluatorSettings('sentiment_of_the_moon_phase', {});
    expect(far.ok ? '' : far.issues[0]!.message).not.toContain('did you mean');
  });
});

describe('describeCatalogue', () => {
  const entries = describeCatalogue();

  it('lists the catalogue of issue 5 (25 evaluators) under their ids and LangWatch ids', () => {
    const byName = (name: string) => entries.find((e) => e.id === name || e.aliases.includes(name));
    // The 25 of reference/evaluators.md §5, by the id or alias a user writes.
    const twentyFive = [
      'exact_match', 'text_rules', 'valid_format', 'string_distance', 'text_similarity', 'semantic_similarity', 'json_compare',
      'tool_calls', 'run_budget', 'language_detection', 'pii_detection', 'secrets_detection', 'moderation', 'llm_boolean',
      'llm_score', 'llm_category', 'answer_match', 'rubric_score', 'compare', 'faithfulness', 'answer_relevancy',
      'context_precision', 'context_recall', 'custom_code', 'competitor_blocklist',
    ];
    expect(new Set(twentyFive).size).toBe(25);
    for (const id of twentyFive) expect(byName(id), id).toBeDefined();
    const langwatch = [
      'langevals/exact_match', 'langevals/basic', 'langevals/competitor_blocklist', 'langevals/valid_format', 'ragas/bleu_score',
      'ragas/rouge_score', 'langevals/similarity', 'lingua/language_detection', 'presidio/pii_detection',
      'langwatch/api_keys_and_secrets_detection', 'openai/moderation', 'langevals/llm_boolean', 'langevals/llm_score',
      'langevals/llm_category', 'langevals/llm_answer_match', 'ragas/rubrics_based_scoring', 'langevals/select_best_compare',
      'ragas/faithfulness', 'ragas/response_relevancy', 'ragas/response_context_precision', 'ragas/response_context_recall',
      'ragas/context_precision', 'ragas/context_recall', 'ragas/context_f1',
    ];
    for (const id of langwatch) expect(byName(id), id).toBeDefined();
    expect(entries[0]).toMatchObject({ id: 'exact_match', aliases: ['langevals/exact_match'], requiredInputs: ['output', 'expected_output'], result: ['passed'], needsModel: false });
    for (const e of entries) {
      expect(e.description.length, e.id).toBeGreaterThan(20);
      expect(e.result.length, e.id).toBeGreaterThan(0);
    }
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries);
  });

  it.each(describeCatalogue().map((e) => [e.id, e] as const))('%s settings are a valid JSON Schema that agrees with the defaults', (_id, entry) => {
    const ajv = new Ajv2020({ strict: true });
    const validate = ajv.compile(entry.settings);
    const def = findEvaluator(entry.id)!;
    const defaults = def.settings.safeParse({});
    if (defaults.success) {
      // A client that sends {} gets the defaults the schema advertises.
      expect(validate({})).toBe(true);
      const properties = entry.settings['properties'] as Record<string, { default?: unknown }>;
      for (const [key, value] of Object.entries(defaults.data as Record<string, unknown>)) expect(properties[key]?.default).toEqual(value);
    } else {
      expect(validate({})).toBe(false);
    }
  });

  it('advertises the setting values it accepts', () => {
    const basic = entries.find((e) => e.id === 'text_rules')!;
    const ajv = new Ajv2020();
    const validate = ajv.compile(basic.settings);
    expect(validate({ rules: [{ rule: 'contains', value: 'x' }] })).toBe(true);
    expect(validate({ rules: [{ rule: 'icontains', value: 'x' }] })).toBe(false);
  });
});
