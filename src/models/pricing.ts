// Cost of a model call: the provider's own figure first (OpenRouter, LiteLLM proxies and
// gateways report `usage.cost`), then a per-project override, then the maintained price table
// of @pydantic/genai-prices (which prices cached input tokens apart). Unknown stays unknown.
import type { CostSource, ProviderSettings } from '../core/model/adapters.js';

export interface PricedTokens {
  input: number;
  output: number;
  cachedInput?: number | undefined;
  cacheWrite?: number | undefined;
}

/** The price table (an 800 KB module), loaded with the first model call rather than at start-up. */
let table: typeof import('@pydantic/genai-prices') | undefined;

export async function loadPriceTable(): Promise<void> {
  table ??= await import('@pydantic/genai-prices');
}

/** Provider ids as the price table knows them. */
const TABLE_PROVIDER: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', google: 'google', azure: 'azure' };

/** A `usage.cost` number in a raw response body, as OpenRouter-style gateways report it. */
export function reportedCost(body: unknown): number | undefined {
  const usage = (body as { usage?: { cost?: unknown } } | undefined)?.usage;
  const cost = usage?.cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

export function priceCall(
  provider: string,
  model: string,
  tokens: PricedTokens,
  body: unknown,
  prices: ProviderSettings['prices'],
): { cost?: number; costSource: CostSource } {
  const reported = reportedCost(body);
  if (reported !== undefined) return { cost: reported, costSource: 'provider' };
  const override = prices?.[model];
  if (override) {
    const cached = tokens.cachedInput ?? 0;
    const cachedRate = override.cachedInput ?? override.input;
    const cost = ((tokens.input - cached) * override.input + cached * cachedRate + tokens.output * override.output) / 1e6;
    return { cost, costSource: 'project_override' };
  }
  if (!table) return { costSource: 'unknown' };
  try {
    const result = table.calcPrice(
      { input_tokens: tokens.input, output_tokens: tokens.output, cache_read_tokens: tokens.cachedInput ?? 0, cache_write_tokens: tokens.cacheWrite ?? 0 },
      model,
      TABLE_PROVIDER[provider] ? { providerId: TABLE_PROVIDER[provider] } : {},
    );
    if (result) return { cost: result.total_price, costSource: 'price_table' };
  } catch {
    // The table does not know this model.
  }
  return { costSource: 'unknown' };
}
