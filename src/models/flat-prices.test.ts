// The price table's flat rates written out ahead of time (scripts/flat-prices.js): the file must
// be what the installed table gives, and a call to a written-out model must cost what the table
// says without the table being loaded. This file never loads the table through pricing.ts, so
// its module state is that of a server before its first model call.
import { readFileSync } from 'node:fs';
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { PRICED_CALLS } from '../testing/priced-calls.js';
import { flatPriceSnapshot, renderSnapshot } from '../../scripts/flat-prices.js';
import { callNeedsTable, type PricedTokens, priceCall, priceNeedsTable } from './pricing.js';

const calls = PRICED_CALLS;

const table = (model: string, t: PricedTokens, providerId?: string) =>
  calcPrice({ input_tokens: t.input, output_tokens: t.output, cache_read_tokens: t.cachedInput ?? 0, cache_write_tokens: t.cacheWrite ?? 0 }, model, providerId ? { providerId } : {})!.total_price;

describe('flat prices written out ahead of time', () => {
  it('are what the installed price table gives (after a package update: node scripts/flat-prices.js)', () => {
    const generated = readFileSync(new URL('./flat-prices.generated.ts', import.meta.url), 'utf8');
    expect(generated).toBe(renderSnapshot(flatPriceSnapshot()));
  });

  it.each([
    ['openai', 'gpt-4o-mini', 'openai'],
    ['openai', 'gpt-4o', 'openai'],
    // A dated id the table names outright (its match rule's `equals`).
    ['openai', 'gpt-4o-2024-08-06', 'openai'],
    ['anthropic', 'claude-3-5-sonnet', 'anthropic'],
    // A dated id the table matches by prefix, written out because the AI SDK lists it.
    ['anthropic', 'claude-sonnet-4-20250514', 'anthropic'],
    // A registered OpenAI-compatible provider: the table is asked by model name alone.
    ['gateway', 'gpt-4o-mini', undefined],
    ['gateway', 'gpt-4.1-mini-2025-04-14', undefined],
  ])('price %s/%s as the table does, without loading it', (provider, model, providerId) => {
    expect(priceNeedsTable(provider, model)).toBe(false);
    for (const t of calls) {
      const priced = priceCall(provider, model, t, undefined, undefined);
      expect(priced.costSource).toBe('price_table');
      expect(priced.cost).toBeCloseTo(table(model, t, providerId), 12);
    }
    expect(priceNeedsTable(provider, model)).toBe(false);
  });

  it.each([
    ['anthropic', 'claude-sonnet-4-5', 200_000],
    ['google', 'gemini-2.5-pro', 200_000],
    ['google', 'gemini-1.5-pro', 128_000],
  ])('price %s/%s (volume tiers) as the table does up to its threshold, and leave larger calls to the table', (provider, model, threshold) => {
    expect(priceNeedsTable(provider, model)).toBe(false);
    const small = [...calls.filter((t) => t.input <= threshold), { input: threshold, output: 100 }, { input: threshold, output: 100, cachedInput: 5_000, cacheWrite: 1_000 }];
    for (const t of small) {
      expect(callNeedsTable(provider, model, t)).toBe(false);
      const priced = priceCall(provider, model, t, undefined, undefined);
      expect(priced.costSource).toBe('price_table');
      expect(priced.cost).toBeCloseTo(table(model, t, provider), 12);
    }
    // One token past the threshold the table's higher tier applies: the call needs the table,
    // and without it (never loaded in this file) it is unpriced rather than priced at the base rate.
    const large = { input: threshold + 1, output: 100 };
    expect(callNeedsTable(provider, model, large)).toBe(true);
    expect(priceCall(provider, model, large, undefined, undefined)).toEqual({ costSource: 'unknown' });
  });

  it('leave every other model to the table: ids matched by prefix that no list names, unknown, or named like a property', () => {
    for (const [provider, model] of [['anthropic', 'claude-3-5-sonnet-20241022'], ['anthropic', 'claude-3-5-sonnet-latest'], ['openai', 'no-such-model'], ['openai', '__proto__'], ['constructor', 'constructor'], ['gateway', 'toString']]) {
      expect(priceNeedsTable(provider!, model!)).toBe(true);
      // The table is not loaded in this file, so such a call is unpriced rather than guessed.
      expect(priceCall(provider!, model!, { input: 10, output: 5 }, undefined, undefined)).toEqual({ costSource: 'unknown' });
    }
  });

  it('still put a provider-reported cost and a project override first', () => {
    expect(priceCall('openai', 'gpt-4o-mini', { input: 10, output: 5 }, { usage: { cost: 0.5 } }, undefined)).toEqual({ cost: 0.5, costSource: 'provider' });
    expect(priceCall('openai', 'gpt-4o-mini', { input: 1e6, output: 0 }, undefined, { 'gpt-4o-mini': { input: 1, output: 2 } })).toEqual({ cost: 1, costSource: 'project_override' });
  });
});
