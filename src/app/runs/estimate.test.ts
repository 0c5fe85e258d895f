// The estimate's prices for a first run are worked out a couple at a time in a process, the
// projects waiting in turns: each holds a sample of up to SAMPLE_BYTES of rows, and a burst of
// estimate requests must not hold a burst of samples.
import { describe, expect, it } from 'vitest';
import type { PriceFigure } from '../../core/engine/estimate.js';
import type { RunEstimate } from '../../core/model/estimate.js';
import type { Project } from '../../core/model/records.js';
import { PRICING_AT_ONCE, type PromptPricer, RunEstimates } from './estimate.js';

const rows = [{ q: 'a' }, { q: 'b' }, { q: 'c' }];
const experiment = {
  id: 'e1', slug: 'x',
  document: { slug: 'x', name: 'x', dataset: { rows }, targets: [{ id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{q}}' }] }], evaluators: [] },
};
const spec = {
  experimentSlug: 'x', experimentVersion: 1, rows: { kind: 'experiment', experimentId: 'e1', version: 1 }, sourceRowCount: 3, rowIndices: null,
  parameters: {}, targetIds: ['p'], evaluatorIds: [], repeats: 1, budgetUsd: null,
};

describe('RunEstimates', () => {
  it(`prices at most ${PRICING_AT_ONCE} estimates at once; the others wait their turn and are answered`, async () => {
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const pricePrompt: PromptPricer = async (_project, _target, sampled) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running--;
      return { rowsSampled: sampled.length, inputTokensPerCell: 1, outputTokensPerCell: 1, costPerCell: 0.001 } satisfies PriceFigure;
    };
    const estimates = new RunEstimates(
      { plan: async () => ({ experiment, request: {}, spec }) as never },
      { list: async () => ({ items: [], total: 0, page: 1, pageSize: 50 }) as never },
      { datasets: {} as never, catalogue: { find: () => undefined }, pricePrompt },
    );
    const project = (id: string) => ({ id, slug: id, name: id, createdAt: 0 }) as Project;
    const asked: Promise<RunEstimate>[] = [];
    for (let i = 0; i < 6; i++) asked.push(estimates.estimate(project(`p${i % 3}`), 'x', async () => ({})));
    for (let released = 0; released < 6; released++) {
      // The pricing held at once fills up to the bound (then the rest wait), never past it.
      await expect.poll(() => gates.length).toBe(Math.min(PRICING_AT_ONCE, 6 - released));
      expect(running).toBe(gates.length);
      gates.shift()!();
    }
    const answers = await Promise.all(asked);
    expect(most).toBe(PRICING_AT_ONCE);
    for (const a of answers) expect(a.targets[0]).toMatchObject({ basis: 'prices', rowsSampled: 3, estimatedCost: 0.003 });
  });
});
