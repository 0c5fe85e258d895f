// API keys and secrets in the input or output: LangWatch's native
// `langwatch/api_keys_and_secrets_detection` (no settings), computed with secretlint's
// recommended rules (cloud keys, tokens, private keys, database URLs, …) with their options on,
// plus one rule of ours for the formats that preset misses (./secret-formats.ts). Each text is
// linted in memory as a virtual file; details name the rule and the position, never the secret.
// What is found and what is ignored on purpose: docs/secrets-detection.md.
import type { lintSource } from '@secretlint/core';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { textInput, thrownMessage } from './inputs.js';
import { lazy } from './lazy.js';
import { secretFormatsRule } from './secret-formats.js';

type CoreConfig = Parameters<typeof lintSource>[0]['options']['config'];

const FILTER_COMMENTS = '@secretlint/secretlint-rule-filter-comments';
const AWS = '@secretlint/secretlint-rule-aws';

/**
 * `allows` given to every preset rule: a match holding one of these stands for a secret rather
 * than being one (x-runs, masks, ellipses, "your-…", AWS-style EXAMPLE values). secretlint reads
 * each as a regular expression over the matched text.
 */
const PLACEHOLDERS = ['/x{5,}/i', '/\\*{3,}/', '/\\.\\.\\./', '/your[-_]/i', '/EXAMPLE/'];
/**
 * The AWS rule's `enableIDScanRule` turns on access key ids (AKIA…, ASIA…) and account ids
 * together; account ids are identifiers AWS does not treat as secrets, and "account: 1234-5678-9012"
 * is as often a bank or order number, so their matches are allowed.
 */
const AWS_ACCOUNT_ID = '/^["\']?(?:AWS|aws|Aws)?_?(?:ACCOUNT|account|Account)/';

/**
 * secretlint's core, profiler and recommended preset (about 8 MB of RSS), loaded on the first
 * evaluation rather than at start-up (see ./lazy.ts), with the config built from the preset.
 */
const secretlint = lazy(async () => {
  const [core, profiler, preset] = await Promise.all([
    import('@secretlint/core'),
    import('@secretlint/profiler'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]);
  // secretlint's core marks every lint in a process-wide PerformanceObserver that keeps each entry
  // forever (about 40 marks, 11 KB, a call) and scans that list on every mark: fine for a CLI,
  // a leak and a slowdown in a server. Only the secretlint CLI's --profile reads it.
  profiler.secretLintProfiler.mark = () => undefined;
  /**
   * The recommended preset's rules, registered one by one so that its comment filter can be left
   * out (secretlint 11 ignores `disabled` on a rule inside a preset): `secretlint-disable`
   * comments are for a repository's own files, and a model's output must not be able to switch
   * the check off.
   */
  const config: CoreConfig = {
    rules: [
      ...preset.rules
        .filter((rule) => rule.meta.id !== FILTER_COMMENTS)
        .map((rule) => ({
          id: rule.meta.id,
          rule,
          options: rule.meta.id === AWS ? { enableIDScanRule: true, allows: [...PLACEHOLDERS, AWS_ACCOUNT_ID] } : { allows: PLACEHOLDERS },
        })),
      { id: secretFormatsRule.meta.id, rule: secretFormatsRule },
      // Each rule's own options type is narrower than the config's generic one.
    ] as unknown as CoreConfig['rules'],
  };
  return { lintSource: core.lintSource, config };
});

/** Far above any model output; secretlint reads the whole text, so the cost grows with it. */
const MAX_CHARS = 1_048_576;
/** Inline cap: secretlint's rules and ours are linear, ≈ 55 ns a character at worst. At the cap: 2.8 ms
 * (median; the worst case of src/testing/evaluator-worst-cases.ts, 2-core machine shared with other work).
 */
const INLINE_CHARS = 50_000;

const settings = z.object({});

const shortRule = (ruleId: string): string => ruleId.replace(/^@secretlint\/secretlint-rule-/, '');

/** `secrets_detection` / `langwatch/api_keys_and_secrets_detection`: score = secrets found. */
export const secretsDetection: EvaluatorDefinition<typeof settings> = {
  id: 'secrets_detection',
  aliases: ['langwatch/api_keys_and_secrets_detection'],
  name: 'API Keys & Secrets Detection',
  category: 'safety',
  description:
    'Finds API keys, tokens, private keys and credentials (AWS key ids and secrets, GitHub, GitLab, Slack, Stripe, OpenAI, Anthropic, ' +
    'Google, Azure, JWTs, database URLs, password assignments, …) in the input and output with secretlint\'s recommended rules and ' +
    'Assay\'s own for the formats they miss; placeholders and well-known documentation examples pass. Fails when any is found; score is the count.',
  requiredInputs: [],
  optionalInputs: ['input', 'output'],
  stringInputs: ['input', 'output'],
  settings,
  result: ['passed', 'score'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create() {
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        const fields = (['input', 'output'] as const).flatMap((field) => {
          const text = textInput(inputs[field]);
          return text === undefined || text.trim() === '' ? [] : [{ field, text }];
        });
        if (fields.length === 0) return { status: 'skipped', details: 'input and output are both missing or empty: map at least one of them' };
        const size = fields.reduce((n, f) => n + f.text.length, 0);
        if (size > MAX_CHARS) return { status: 'skipped', details: `input and output hold ${size} characters, above the ${MAX_CHARS} secrets detection reads` };
        const found: string[] = [];
        try {
          const { lintSource, config } = await secretlint();
          for (const { field, text } of fields) {
            const result = await lintSource({
              source: { content: text, filePath: `${field}.txt`, ext: '.txt', contentType: 'text' },
              options: { config, maskSecrets: true, noPhysicFilePath: true },
            });
            for (const m of result.messages) found.push(`${m.messageId} (${shortRule(m.ruleId)}) in ${field} at ${m.range[0]}–${m.range[1]}`);
          }
        } catch (error) {
          return { status: 'error', errorType: 'internal_error', details: `secretlint failed: ${thrownMessage(error)}` };
        }
        if (found.length === 0) return { status: 'processed', passed: true, score: 0 };
        return { status: 'processed', passed: false, score: found.length, details: `Secrets found: ${found.join(', ')}` };
      },
    };
  },
};
