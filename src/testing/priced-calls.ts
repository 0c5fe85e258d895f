// Kinds of model call the price tests ask about: plain, cached input, cache writes, tiny, and
// past a volume tier's threshold.
import type { PricedTokens } from '../models/pricing.js';

export const PRICED_CALLS: PricedTokens[] = [
  { input: 1_000, output: 500 },
  { input: 1_000, output: 500, cachedInput: 200 },
  { input: 5_000, output: 10, cachedInput: 1_000, cacheWrite: 3_000 },
  { input: 7, output: 5 },
  { input: 300_000, output: 20_000 },
];
