// Rule-based text checks: LangWatch's "Custom Basic Evaluator" (contains / regex rules on the
// input or output) and its competitor blocklist. Regexes run on RE2 (./safe-regex.ts), and a
// pattern RE2 cannot run is refused when the experiment is saved, not at run time.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { isAscii, missingInput, quote, textInput } from './inputs.js';
import { compileLinearRegex, MAX_MATCH_WORK, MAX_PATTERN_WORK, matchWork, regexWork, type LinearRegexResult } from './safe-regex.js';
import type { RE2JS } from 're2js';

const RULE_KINDS = ['contains', 'not_contains', 'matches_regex', 'not_matches_regex'] as const;
type RuleKind = (typeof RULE_KINDS)[number];
const isRegexRule = (kind: RuleKind): boolean => kind === 'matches_regex' || kind === 'not_matches_regex';

const ruleSchema = z.object({
  field: z.enum(['input', 'output']).default('output').describe('Which input the rule reads'),
  rule: z.enum(RULE_KINDS),
  value: z.string().max(10_000).describe('Substring (case-sensitive) or RE2 regular expression'),
});
type Rule = z.output<typeof ruleSchema>;

/**
 * Compile work (safe-regex.ts units) the regex rules of one evaluator may add up to, counting
 * every pattern compiled, accepted or not: 100 patterns at MAX_PATTERN_WORK would hold the
 * server ≈ 0.3 s. At this total the slowest rule sets found took 15–45 ms (2-core machine,
 * load ≈ 2), and 100 short rules (≈ 450 units each) still fit.
 */
export const MAX_RULES_WORK = 60_000;

/**
 * Compile work a rule as written (not yet parsed) would add to MAX_RULES_WORK, weighed from its
 * text without compiling: 0 for a substring rule, a malformed one, or a pattern refused unseen
 * (too long or too costly on its own). An evaluator set (evaluator-set.ts) sums it over all its
 * members, which share one budget.
 */
export function regexRuleWork(rule: unknown): number {
  if (typeof rule !== 'object' || rule === null) return 0;
  const { rule: kind, value } = rule as Record<string, unknown>;
  if ((kind !== 'matches_regex' && kind !== 'not_matches_regex') || typeof value !== 'string' || value.length > 10_000) return 0;
  const work = regexWork(value);
  return work > MAX_PATTERN_WORK ? 0 : work;
}

/**
 * Each rule's compiled pattern, kept from the settings check for create() and inlineChars(),
 * which receive the same parsed rule objects: a run start compiles every pattern once, not three times.
 */
const compiledRules = new WeakMap<Rule, LinearRegexResult>();

/**
 * Patterns compiled lately, by their text, oldest first, up to RECENT_WORK of compile work in all:
 * a set's settings check parses its members' settings and its create() parses them again to bind
 * them (core/engine/evaluate.ts), and a run start right after a save parses them once more. The
 * budget is still charged on a hit, so what is accepted does not depend on what was compiled before.
 */
const recentPatterns = new Map<string, LinearRegexResult>();
let recentWork = 0;
const RECENT_WORK = 2 * MAX_RULES_WORK;

function compiledRule(r: Rule): LinearRegexResult {
  let compiled = compiledRules.get(r);
  if (compiled) return compiled;
  compiled = recentPatterns.get(r.value);
  if (compiled) {
    recentPatterns.delete(r.value);
  } else {
    compiled = compileLinearRegex(r.value, { multiline: true });
    if (compiled.ok) recentWork += compiled.work;
  }
  // Only compiled patterns are kept; the oldest go once they weigh more than RECENT_WORK.
  if (compiled.ok) recentPatterns.set(r.value, compiled);
  for (const [value, old] of recentPatterns) {
    if (recentWork <= RECENT_WORK) break;
    recentPatterns.delete(value);
    recentWork -= old.work;
  }
  compiledRules.set(r, compiled);
  return compiled;
}

const basicSettings = z.object({
  rules: z
    .array(ruleSchema)
    .min(1, 'add at least one rule')
    .max(100)
    .superRefine((rules, ctx) => {
      // A pattern too costly on its own is refused unseen (safe-regex.ts); the ones compiled,
      // accepted or not, are counted, and past MAX_RULES_WORK the rest are not compiled at all.
      let work = 0;
      for (const [i, r] of rules.entries()) {
        if (!isRegexRule(r.rule)) continue;
        const compiled = compiledRule(r);
        work += compiled.work;
        if (!compiled.ok) ctx.addIssue({ code: 'custom', path: [i, 'value'], message: `rule ${i}: ${compiled.reason}` });
        if (work > MAX_RULES_WORK) {
          ctx.addIssue({ code: 'custom', path: [i, 'value'], message: `rule ${i}: the regex rules up to this one take ${work} units of compile work, at most ${MAX_RULES_WORK} are allowed in one evaluator (use fewer or shorter patterns)` });
          return;
        }
      }
    })
    .default([{ field: 'output', rule: 'not_contains', value: 'artificial intelligence' }])
    .describe('Every rule must pass'),
});

/** How a failing rule reads in `details`. */
const EXPECTATION: Record<RuleKind, string> = {
  contains: 'should contain',
  not_contains: 'should not contain',
  matches_regex: 'should match regex',
  not_matches_regex: 'should not match regex',
};

/** One rule, ready to run on a field's text: `check` returns why it failed, or undefined. */
interface CompiledRule {
  check: (text: string) => string | undefined;
  /** The pattern of a regex rule, to weigh its cost before matching. */
  regex?: RE2JS;
}

function compileRule(r: Rule): CompiledRule {
  const described = `${r.field} ${EXPECTATION[r.rule]} ${quote(r.value)}`;
  switch (r.rule) {
    case 'contains':
      return { check: (text) => (text.includes(r.value) ? undefined : described) };
    case 'not_contains':
      return { check: (text) => (text.includes(r.value) ? described : undefined) };
    case 'matches_regex':
    case 'not_matches_regex': {
      const compiled = compiledRule(r);
      // Settings were validated, so this only fails if create() is called without parsing.
      if (!compiled.ok) throw new Error(`rule on ${r.field}: ${compiled.reason}`);
      const regex = compiled.regex;
      if (r.rule === 'matches_regex') return { regex, check: (text) => (regex.test(text) ? undefined : described) };
      return {
        regex,
        check: (text) => {
          const m = regex.matcher(text);
          return m.find() ? `${described} (found ${quote(m.group() ?? '')})` : undefined;
        },
      };
    }
  }
}

/**
 * Inline cap, in the work units of safe-regex.ts: text up to INLINE_WORK / (the rules' work per
 * character) runs inline. A regex rule costs its program size + 30 units a character, a
 * substring rule 10 (≈ 2 ns a character: 100 rules of 10,000 characters on 10 MB took 2 s).
 * The slowest matching found is ≈ 3 ns a unit, so INLINE_WORK is ≈ 3 ms. At the cap: 0.4 ms for ten `(a+)+$` rules (median, bench/evaluator-caps.ts).
 */
const INLINE_WORK = 1_000_000;
const SUBSTRING_WORK = 10;

function rulesInlineChars(rules: readonly Rule[]): number {
  let perChar = 0;
  for (const r of rules) {
    const compiled = isRegexRule(r.rule) ? compiledRule(r) : undefined;
    perChar += compiled?.ok ? matchWork(compiled.regex, ' ') : SUBSTRING_WORK;
  }
  return Math.floor(INLINE_WORK / Math.max(perChar, 1));
}

/** `text_rules` / `langevals/basic`: passes when every rule passes. */
export const textRules: EvaluatorDefinition<typeof basicSettings> = {
  id: 'text_rules',
  aliases: ['langevals/basic'],
  name: 'Text Rules',
  category: 'custom',
  description:
    'Checks the input or output against rules: contains / not_contains (case-sensitive substring) and ' +
    'matches_regex / not_matches_regex (RE2 syntax, multi-line, linear time). Passes when every rule passes; ' +
    'details list the failing rules.',
  requiredInputs: [],
  optionalInputs: ['input', 'output'],
  stringInputs: ['input', 'output'],
  settings: basicSettings,
  result: ['passed'],
  needsModel: false,
  inlineChars: (s) => rulesInlineChars(s.rules),
  create(s) {
    const rules = s.rules.map((r) => ({ field: r.field, ...compileRule(r) }));
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        const texts = { input: textInput(inputs.input), output: textInput(inputs.output) };
        // Matching is linear but synchronous: weigh the regex rules first, so a large pattern
        // on a long text is an error here rather than seconds of a stalled server.
        let work = 0;
        for (const r of rules) if (r.regex && texts[r.field] !== undefined) work += matchWork(r.regex, texts[r.field]!);
        if (work > MAX_MATCH_WORK) {
          const chars = Math.max(texts.input?.length ?? 0, texts.output?.length ?? 0);
          return { status: 'error', errorType: 'too_costly', details: `the regex rules are too costly on ${chars} characters of text (${work} units of work, at most ${MAX_MATCH_WORK}): use fewer or smaller patterns` };
        }
        const failures: string[] = [];
        for (const [i, r] of rules.entries()) {
          const text = texts[r.field];
          // A rule on a missing field cannot be judged: inconclusive rather than a silent pass.
          if (text === undefined) return missingInput(r.field);
          const failure = r.check(text);
          if (failure !== undefined) failures.push(`rule ${i} failed: ${failure}`);
        }
        return failures.length === 0 ? { status: 'processed', passed: true } : { status: 'processed', passed: false, details: failures.join('; ') };
      },
    };
  },
};

const competitorSettings = z.object({
  competitors: z
    .array(z.string().trim().min(1).max(200))
    .min(1, 'name at least one competitor')
    .max(1000)
    .default(['OpenAI', 'Google', 'Microsoft'])
    .describe('Names that must not be mentioned (whole words, any case)'),
});

/** A whole-word, case-insensitive matcher for a literal name; names may contain punctuation. */
function wordMatcher(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  // A literal between two one-character lookarounds cannot backtrack, so native RegExp is safe.
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'iu');
}

/**
 * Inline cap: every name is a regex tried on the whole text, ≈ 4.6 ns a character per name
 * (1,000 names on 10 MB took 38 s), so the cap is this many name-characters over the names. At the cap: 1.2 ms (median, bench/evaluator-caps.ts).
 */
const INLINE_NAME_CHARS = 500_000;

/** `competitor_blocklist` / `langevals/competitor_blocklist`: score = distinct names found. */
export const competitorBlocklist: EvaluatorDefinition<typeof competitorSettings> = {
  id: 'competitor_blocklist',
  aliases: ['langevals/competitor_blocklist'],
  name: 'Competitor Blocklist',
  category: 'policy',
  description:
    'Fails when the input or output mentions a listed competitor as a whole word (any case). ' +
    'score is the number of distinct competitors mentioned; details name them.',
  requiredInputs: [],
  optionalInputs: ['output', 'input'],
  stringInputs: ['output', 'input'],
  settings: competitorSettings,
  result: ['passed', 'score'],
  needsModel: false,
  inlineChars: (s) => Math.floor(INLINE_NAME_CHARS / s.competitors.length),
  create(s) {
    // Matching ignores case, so "OpenAI" and "openai" are one competitor (first spelling kept).
    // A set, not a search per name: creating 57 instances of 1,000 names held the server 1.6 s.
    const seen = new Set<string>();
    const names = s.competitors.filter((n) => !seen.has(n.toLowerCase()) && seen.add(n.toLowerCase()));
    // Where name and text are both ASCII, a lower-case substring search rules a name out before
    // its regex runs: the only ASCII characters that match each other ignoring case (Unicode
    // case folding, the regex's `iu`) are a letter's two cases, so a text the search rules out
    // cannot match. Texts mentioning no competitor (most) never run a regex, and a server's
    // first run does not wait for V8 to compile them (≈ 3 ms, docs/benchmarks.md).
    const matchers = names.map((name) => ({ name, regex: wordMatcher(name), lower: isAscii(name) ? name.toLowerCase() : undefined }));
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        const fields = (['input', 'output'] as const).flatMap((f) => {
          const text = textInput(inputs[f]);
          return text === undefined ? [] : [{ field: f, text, lower: isAscii(text) ? text.toLowerCase() : undefined }];
        });
        if (fields.length === 0) return { status: 'skipped', details: 'neither input nor output was given: map at least one of them' };
        const found = matchers.flatMap(({ name, regex, lower }) => {
          const where = fields.filter((f) => (lower === undefined || f.lower === undefined || f.lower.includes(lower)) && regex.test(f.text)).map((f) => f.field);
          return where.length > 0 ? [`${name} (${where.join(', ')})`] : [];
        });
        if (found.length === 0) return { status: 'processed', passed: true, score: 0 };
        return { status: 'processed', passed: false, score: found.length, details: `Competitors mentioned: ${found.join(', ')}` };
      },
    };
  },
};
