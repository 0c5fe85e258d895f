// Flat per-token rates the price table confirmed ahead of time (scripts/flat-prices.js writes
// flat-prices.generated.ts from the installed table; flat-prices.test.ts keeps the two equal).
// A call to one of these models is priced without loading the table (docs/decisions.md, "Flat
// prices written out ahead of time").
import { FLAT_PRICES } from './flat-prices.generated.js';

/** Dollars per million tokens; a kind of token without a rate of its own is billed as input. */
export interface KnownRates {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  /**
   * For a price with volume tiers: the input tokens of a call up to which these (base) rates
   * hold. A larger call is priced by the table.
   */
  readonly upTo?: number;
}

/** Whether `rates` price a call with `inputTokens` input tokens. */
export function ratesHold(rates: KnownRates, inputTokens: number): boolean {
  return rates.upTo === undefined || inputTokens <= rates.upTo;
}

export interface FlatPriceSnapshot {
  /** A model asked of its own provider (`openai/gpt-4o`): provider → model id → rates. */
  byProvider: Readonly<Record<string, Readonly<Record<string, KnownRates>>>>;
  /** A model asked with no provider, as a registered OpenAI-compatible provider's calls are. */
  anyProvider: Readonly<Record<string, KnownRates>>;
}

const SNAPSHOT: FlatPriceSnapshot = FLAT_PRICES;

/** The rates the table would give `model`, asked of `tableProvider` (or of none), when known ahead of time. */
export function knownRates(tableProvider: string | undefined, model: string): KnownRates | undefined {
  const models = tableProvider === undefined ? SNAPSHOT.anyProvider : SNAPSHOT.byProvider[tableProvider];
  // Own properties only: a model named "constructor" or "__proto__" is not a price.
  return models !== undefined && Object.hasOwn(models, model) ? models[model] : undefined;
}
