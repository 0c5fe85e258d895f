// A call past a volume tier of a model whose base rates were written out ahead of time: the
// client loads the price table for it (this file's process has not loaded it before), and the
// call costs the table's higher tier — not the base rate, and not "unknown".
import { calcPrice } from '@pydantic/genai-prices';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ModelFakes, startModelFakes } from '../testing/model-client.js';
import { priceNeedsTable } from './pricing.js';

let fakes: ModelFakes;
beforeAll(async () => {
  fakes = await startModelFakes();
});
afterAll(async () => {
  await fakes.close();
});

it('prices a call past the 200k-token tier of claude-sonnet-4-5 by the table', async () => {
  const small = await fakes.client.generate({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: 'hello' }], signal: AbortSignal.timeout(10_000) });
  // Within the tier: the written-out rates, and the table still not needed.
  expect(small.costSource).toBe('price_table');
  expect(priceNeedsTable('anthropic', 'claude-sonnet-4-5')).toBe(false);

  const long = 'lorem ipsum dolor sit amet '.repeat(40_000);
  const large = await fakes.client.generate({ model: 'anthropic/claude-sonnet-4-5', messages: [{ role: 'user', content: long }], params: { maxTokens: 16 }, signal: AbortSignal.timeout(30_000) });
  expect(large.tokens.input).toBeGreaterThan(200_000);
  const table = calcPrice({ input_tokens: large.tokens.input, output_tokens: large.tokens.output }, 'claude-sonnet-4-5', { providerId: 'anthropic' })!;
  expect(large.costSource).toBe('price_table');
  expect(large.cost).toBeCloseTo(table.total_price, 12);
  // The higher tier, not the base rate of $3 / $15 per million tokens.
  expect(large.cost!).toBeGreaterThan((large.tokens.input * 3 + large.tokens.output * 15) / 1e6 * 1.5);
});
