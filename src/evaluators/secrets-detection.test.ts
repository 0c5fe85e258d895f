// secrets_detection (langwatch/api_keys_and_secrets_detection) over secretlint's recommended
// rules. The secrets are the rules' own test fixtures (secretlint/secretlint,
// packages/@secretlint/secretlint-rule-*/test/snapshots/*/input.txt) with the message ids and
// ranges of their output.json snapshots, split so that this file is not flagged by a
// repository's own secret scanning. The labelled corpus is in secrets-detection.corpus.test.ts.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext, EvaluatorInputs } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { secretsDetection } from './secrets-detection.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };
const instance = secretsDetection.create(secretsDetection.settings.parse({}), { sandbox: createFakeSandbox(), models: noModels });
const run = (inputs: EvaluatorInputs) => instance.evaluate(inputs, context);

/** secretlint-rule-github ng.apikey: GITHUB_TOKEN at [0, 40]. */
const GITHUB_TOKEN = 'gh' + 'p_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx';
/** secretlint-rule-openai ng.secret: OPENAI_TOKEN at [0, 51]. */
const OPENAI_TOKEN = 'sk-' + 'sUeBP9asw6GiYHXqtg70' + 'T3Blbk' + 'FJJuLwJFco90bOpU0Ntest';
/** secretlint-rule-slack ng.IncomingWebhook: IncomingWebhook, 76 characters. */
const SLACK_WEBHOOK = 'https://hooks.' + 'slack.com/services/T11111AA/BAAAA111A/qKirRWalryBGqKirRWalryBG';

describe('secrets_detection (langwatch/api_keys_and_secrets_detection)', () => {
  it("finds the rules' fixtures with their message ids and ranges", async () => {
    expect(await run({ output: GITHUB_TOKEN })).toEqual({
      status: 'processed',
      passed: false,
      score: 1,
      details: 'Secrets found: GITHUB_TOKEN (github) in output at 0–40',
    });
    expect(await run({ output: OPENAI_TOKEN })).toMatchObject({ passed: false, score: 1, details: 'Secrets found: OPENAI_TOKEN (openai) in output at 0–51' });
    expect(await run({ output: `hook: ${SLACK_WEBHOOK}` })).toMatchObject({ passed: false, score: 1, details: 'Secrets found: IncomingWebhook (slack) in output at 6–82' });
  });

  it('checks the input and the output, counts every secret and never shows one', async () => {
    const result = await run({ input: `my token is ${GITHUB_TOKEN}`, output: `use ${OPENAI_TOKEN} and ${GITHUB_TOKEN}` });
    expect(result).toEqual({
      status: 'processed',
      passed: false,
      score: 3,
      details: 'Secrets found: GITHUB_TOKEN (github) in input at 12–52, OPENAI_TOKEN (openai) in output at 4–55, GITHUB_TOKEN (github) in output at 60–100',
    });
    for (const secret of [GITHUB_TOKEN.slice(4), OPENAI_TOKEN.slice(3)]) expect(result.details).not.toContain(secret);
  });

  it('passes ordinary text with score 0', async () => {
    expect(await run({ input: 'How do I rotate my API key?', output: 'Open Settings, then API keys, and click Rotate.' })).toEqual({ status: 'processed', passed: true, score: 0 });
  });

  it('does not let secretlint-disable comments in the text switch the check off', async () => {
    const text = `// secretlint-disable\n${GITHUB_TOKEN}\n// secretlint-enable`;
    expect(await run({ output: text })).toMatchObject({ passed: false, score: 1 });
  });

  it('reads non-string outputs as JSON text', async () => {
    expect(await run({ output: { config: { token: GITHUB_TOKEN } } })).toMatchObject({ passed: false, score: 1 });
  });

  it('skips when there is nothing to check, and has no settings (as in LangWatch)', async () => {
    expect(await run({ input: null, output: ' ' })).toEqual({ status: 'skipped', details: 'input and output are both missing or empty: map at least one of them' });
    expect(secretsDetection.settings.parse({})).toEqual({});
    expect(secretsDetection.settings.parse({ anything: 1 })).toEqual({});
  });

  it('leaves no performance marks behind (secretlint profiles every lint by default)', async () => {
    const before = performance.getEntriesByType('mark').length;
    for (let i = 0; i < 20; i++) await run({ output: `text ${i}` });
    expect(performance.getEntriesByType('mark').length).toBe(before);
  });
});
