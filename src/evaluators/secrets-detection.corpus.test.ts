// secrets_detection against a labelled corpus (src/testing/secrets-corpus.ts): every positive
// must fail the check, every negative must pass it. The figures are printed so a change in
// either direction shows in the test output. Target (issue 15): recall ≥ 95 %, no false positive.
import { describe, expect, it } from 'vitest';
import type { EvaluatorContext } from '../core/model/results.js';
import { createFakeSandbox } from '../testing/fake-sandbox.js';
import { noModels } from '../testing/no-models.js';
import { negatives, positives } from '../testing/secrets-corpus.js';
import { secretsDetection } from './secrets-detection.js';

const context: EvaluatorContext = { row: {}, target: { id: 't', durationMs: 1 }, signal: new AbortController().signal };
const instance = secretsDetection.create(secretsDetection.settings.parse({}), { sandbox: createFakeSandbox(), models: noModels });

async function flagged(text: string): Promise<boolean> {
  const result = await instance.evaluate({ output: text }, context);
  if (result.status !== 'processed') throw new Error(`expected processed, got ${JSON.stringify(result)}`);
  return result.passed === false;
}

describe('secrets_detection corpus', () => {
  it('has the size the issue asks for', () => {
    expect(positives.length).toBeGreaterThanOrEqual(40);
    expect(negatives.length).toBeGreaterThanOrEqual(40);
  });

  it('finds at least 95 % of the secrets and flags none of the look-alikes', async () => {
    const missed: string[] = [];
    for (const c of positives) if (!(await flagged(c.text))) missed.push(c.format);
    const falsePositives: string[] = [];
    for (const c of negatives) if (await flagged(c.text)) falsePositives.push(c.format);
    const recall = (positives.length - missed.length) / positives.length;
    console.log(
      `secrets corpus: recall ${(recall * 100).toFixed(1)} % (${positives.length - missed.length}/${positives.length}), ` +
        `false positives ${falsePositives.length}/${negatives.length}` +
        (missed.length > 0 ? `; missed: ${missed.join(', ')}` : '') +
        (falsePositives.length > 0 ? `; flagged: ${falsePositives.join(', ')}` : ''),
    );
    expect(falsePositives).toEqual([]);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('finds each secret where it is, with its rule, and never shows it', async () => {
    // One text holding several secrets: each is counted once, at its own position.
    const byFormat = new Map(positives.map((c) => [c.format, c.text]));
    const parts = ['AWS access key id, bare', 'GitLab personal access token', 'Stripe live secret key', 'JWT'].map((f) => byFormat.get(f)!);
    const text = parts.join('\n');
    const result = await instance.evaluate({ output: text }, context);
    expect(result).toMatchObject({ status: 'processed', passed: false, score: 4 });
    const details = (result as { details: string }).details;
    expect(details).toMatch(/AWSAccessKeyID \(aws\) in output at \d+–\d+/);
    expect(details).toMatch(/GITLAB_TOKEN \(assay\/secret-formats\) in output at \d+–\d+/);
    expect(details).toMatch(/STRIPE_KEY \(assay\/secret-formats\)/);
    expect(details).toMatch(/JWT \(assay\/secret-formats\)/);
    for (const m of details.matchAll(/at (\d+)–(\d+)/g)) {
      const secret = text.slice(Number(m[1]), Number(m[2]));
      expect(secret.length).toBeGreaterThan(15);
      expect(details).not.toContain(secret.slice(-12));
    }
  });
});
