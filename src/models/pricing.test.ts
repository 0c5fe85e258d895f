// Costs from the price table, asked again and again as a run does: the kept flat rates must give
// exactly what the table gives, for every kind of call (cached input, cache writes) and on
// either side of a volume tier's threshold.
import { calcPrice } from '@pydantic/genai-prices';
import { beforeAll, describe, expect, it } from 'vitest';
import { PRICED_CALLS } from '../testing/priced-calls.js';
import { loadPriceTable, priceCall, type PricedTokens } from './pricing.js';

beforeAll(() => loadPriceTable());

const calls = PRICED_CALLS;

const table = (provider: string, model: string, t: PricedTokens) =>
  calcPrice({ input_tokens: t.input, output_tokens: t.output, cache_read_tokens: t.cachedInput ?? 0, cache_write_tokens: t.cacheWrite ?? 0 }, model, { providerId: provider })!.total_price;

describe('price table costs', () => {
  it.each([
    ['openai', 'gpt-4o-mini'],
    ['openai', 'gpt-4o'],
    ['anthropic', 'claude-3-5-sonnet-latest'],
    // Tiered by volume: flat within a tier, each tier confirmed by the table once.
    ['google', 'gemini-1.5-pro'],
    ['anthropic', 'claude-sonnet-4-5'],
  ])('%s/%s costs what the table says, on every repeat of every kind of call', (provider, model) => {
    for (let round = 0; round < 3; round++) {
      for (const t of calls) {
        const priced = priceCall(provider, model, t, undefined, undefined);
        expect(priced.costSource).toBe('price_table');
        expect(priced.cost).toBeCloseTo(table(provider, model, t), 12);
      }
    }
  });

  it('a tiered rate, once learned below the threshold, is not applied at or past it without the table', () => {
    const model = 'gemini-2.5-pro';
    const at = (input: number) => priceCall('google', model, { input, output: 100 }, undefined, undefined).cost!;
    for (let i = 0; i < 3; i++) expect(at(1_000)).toBeCloseTo(table('google', model, { input: 1_000, output: 100 }), 12);
    // The table counts a threshold as passed only beyond it.
    for (const input of [200_000, 200_001, 199_999, 200_001, 400_000]) expect(at(input)).toBeCloseTo(table('google', model, { input, output: 100 }), 12);
    // One token past the threshold, the whole call is charged the higher tier.
    expect(at(200_001)).toBeGreaterThan(at(200_000) * 1.5);
  });

  it('a tiered model is charged its higher tier past the threshold', () => {
    const small = priceCall('google', 'gemini-1.5-pro', { input: 100_000, output: 0 }, undefined, undefined).cost!;
    const large = priceCall('google', 'gemini-1.5-pro', { input: 200_000, output: 0 }, undefined, undefined).cost!;
    expect(large / small).toBeGreaterThan(2.5);
  });
});

describe('costs as written out', () => {
  it('carry no binary noise of the multiplication (20 × $0.15 + 12 × $0.60 per million is $0.0000102)', () => {
    const prices = { 'my-model': { input: 0.15, output: 0.6 } };
    const priced = priceCall('gateway', 'my-model', { input: 20, output: 12 }, undefined, prices);
    expect(priced).toEqual({ cost: 0.0000102, costSource: 'project_override' });
    expect(JSON.stringify(priced.cost)).toBe('0.0000102');
    // From the table too, every call of every kind: at most 12 significant digits.
    for (const t of calls) {
      const cost = priceCall('openai', 'gpt-4o-mini', t, undefined, undefined).cost!;
      expect(Number(cost.toPrecision(12))).toBe(cost);
    }
  });
});
