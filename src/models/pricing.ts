// Cost of a model call: the provider's own figure first (OpenRouter, LiteLLM proxies and
// gateways report `usage.cost`), then a per-project override, then the maintained price table
// of @pydantic/genai-prices (which prices cached input tokens apart): its flat rates written out
// ahead of time where it has them (flat-prices.ts), the table itself for the rest. Unknown stays
// unknown.
import type { CostSource, ProviderSettings } from '../core/model/adapters.js';
import { type KnownRates, knownRates, ratesHold } from './flat-prices.js';

export interface PricedTokens {
  input: number;
  output: number;
  cachedInput?: number | undefined;
  cacheWrite?: number | undefined;
}

/** The price table (an 800 KB module), loaded with the first model call rather than at start-up. */
let table: typeof import('@pydantic/genai-prices') | undefined;
let loading: Promise<void> | undefined;

/** Loads the price table once; every caller waits for the same load. */
export function loadPriceTable(): Promise<void> {
  return (loading ??= import('@pydantic/genai-prices').then((module) => {
    table = module;
  }));
}

/** Provider ids as the price table knows them. */
const TABLE_PROVIDER: Record<string, string> = { openai: 'openai', anthropic: 'anthropic', google: 'google', azure: 'azure' };
const tableProvider = (provider: string): string | undefined => (Object.hasOwn(TABLE_PROVIDER, provider) ? TABLE_PROVIDER[provider] : undefined);

/**
 * Whether pricing a call to this model may need the table: not when the table's rates for it
 * were written out ahead of time (flat-prices.ts), so the table is not loaded for it at all.
 */
export function priceNeedsTable(provider: string, model: string): boolean {
  return table === undefined && knownRates(tableProvider(provider), model) === undefined;
}

/**
 * Whether pricing this call needs the table, now that its tokens are known: also when the
 * model's written-out rates stop at a volume tier the call's input passed.
 */
export function callNeedsTable(provider: string, model: string, tokens: PricedTokens): boolean {
  if (table !== undefined) return false;
  const known = knownRates(tableProvider(provider), model);
  return known === undefined || !ratesHold(known, tokens.input);
}

/** A `usage.cost` number in a raw response body, as OpenRouter-style gateways report it. */
export function reportedCost(body: unknown): number | undefined {
  const usage = (body as { usage?: { cost?: unknown } } | undefined)?.usage;
  const cost = usage?.cost;
  return typeof cost === 'number' && Number.isFinite(cost) && cost >= 0 ? cost : undefined;
}

/**
 * A computed price in USD at 12 significant digits: tokens × a per-million rate leaves binary
 * noise (20 × 0.15 + 12 × 0.6 per million is 0.000010199999999999999), which every result,
 * event and export would carry. 12 digits keep any real price whole.
 */
const usd = (cost: number): number => Number(cost.toPrecision(12));

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
    return { cost: usd(cost), costSource: 'project_override' };
  }
  const provided = tableProvider(provider);
  const known = knownRates(provided, model);
  if (known && ratesHold(known, tokens.input)) return { cost: usd(costAt(known, tokens)), costSource: 'price_table' };
  if (!table) return { costSource: 'unknown' };
  const fast = flatPrice(provider, model, tokens);
  if (fast !== undefined) return { cost: usd(fast), costSource: 'price_table' };
  try {
    const result = table.calcPrice(
      { input_tokens: tokens.input, output_tokens: tokens.output, cache_read_tokens: tokens.cachedInput ?? 0, cache_write_tokens: tokens.cacheWrite ?? 0 },
      model,
      provided ? { providerId: provided } : {},
    );
    if (result) {
      learnFlatPrice(provider, model, tokens, result.model_price, result.total_price);
      return { cost: usd(result.total_price), costSource: 'price_table' };
    }
  } catch {
    // The table does not know this model.
  }
  return { costSource: 'unknown' };
}

// The table's lookup (matching the model among hundreds, by rules and regexes) cost ≈ 40 µs a
// call, a tenth of a prompt cell's CPU. Most models have flat per-token prices, so the price
// found for a model is kept for an hour (prices can change on a date) and applied directly —
// but only for a kind of call (with or without cached input, cache writes, and which volume
// tier its input falls in) whose result the table itself confirmed once: the formula below is
// ours, the table stays the authority. Tiered prices (Claude Sonnet 4.x and Gemini 2.5 Pro
// charge every token of a call more past 200k input tokens) are flat within a tier: the table
// applies to all of a call's tokens the rate of the highest tier its input tokens exceed.

/** A per-million-token rate: plain, or by tier of the call's input tokens. */
type Rate = number | { base: number; tiers: { start: number; price: number }[] };

/** Per-million-token rates of a model whose prices do not depend on the date. */
interface FlatRates {
  input: Rate;
  output: Rate;
  cacheRead: Rate | undefined;
  cacheWrite: Rate | undefined;
  /** Where any of its rates changes tier, ascending. */
  starts: number[];
}

const FLAT_TTL_MS = 60 * 60 * 1000;
const FLAT_MAX = 1_000;
/** Per provider/model: its flat rates (null: not flat) and the kinds of call confirmed. */
const flat = new Map<string, { rates: FlatRates | null; confirmed: Set<string>; until: number }>();

/** The kind of call: cached input or not, cache writes or not, and how many tier starts its input passed. */
function shapeOf(t: PricedTokens, starts: number[]): string {
  let passed = 0;
  for (const start of starts) if (t.input > start) passed++;
  return `${(t.cachedInput ?? 0) > 0 ? 'r' : ''}${(t.cacheWrite ?? 0) > 0 ? 'w' : ''}${passed}`;
}

function costAt(r: Pick<KnownRates, 'input' | 'output'> & { cacheRead?: number | undefined; cacheWrite?: number | undefined }, t: PricedTokens): number {
  const read = t.cachedInput ?? 0;
  const write = t.cacheWrite ?? 0;
  return ((t.input - read - write) * r.input + read * (r.cacheRead ?? r.input) + write * (r.cacheWrite ?? r.input) + t.output * r.output) / 1e6;
}

/** A rate for a call with this many input tokens: the highest tier they exceed, as the table reads it. */
function rateAt(rate: Rate, input: number): number;
function rateAt(rate: Rate | undefined, input: number): number | undefined;
function rateAt(rate: Rate | undefined, input: number): number | undefined {
  if (rate === undefined || typeof rate === 'number') return rate;
  let price = rate.base;
  for (const tier of rate.tiers) if (input > tier.start) price = tier.price;
  return price;
}

function learnedCost(r: FlatRates, t: PricedTokens): number {
  return costAt({ input: rateAt(r.input, t.input), output: rateAt(r.output, t.input), cacheRead: rateAt(r.cacheRead, t.input), cacheWrite: rateAt(r.cacheWrite, t.input) }, t);
}

function flatPrice(provider: string, model: string, tokens: PricedTokens): number | undefined {
  const entry = flat.get(`${provider}\u0000${model}`);
  if (!entry || !entry.rates || Date.now() > entry.until || !entry.confirmed.has(shapeOf(tokens, entry.rates.starts))) return undefined;
  return learnedCost(entry.rates, tokens);
}

/** A rate of the table's as ours: a plain number or tiers of plain numbers; null for anything else. */
function rateOf(v: unknown): Rate | undefined | null {
  if (v === undefined) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  const t = v as { base?: unknown; tiers?: unknown } | null;
  if (!t || typeof t !== 'object' || typeof t.base !== 'number' || !Array.isArray(t.tiers)) return null;
  const tiers: { start: number; price: number }[] = [];
  for (const tier of t.tiers as { start?: unknown; price?: unknown }[]) {
    if (typeof tier?.start !== 'number' || typeof tier.price !== 'number') return null;
    tiers.push({ start: tier.start, price: tier.price });
  }
  return { base: t.base, tiers: tiers.sort((a, b) => a.start - b.start) };
}

/** Rates of a model price made only of plain or tiered numbers for the token kinds we count. */
function flatRates(price: unknown): FlatRates | null {
  const p = price as Record<string, unknown> | null;
  if (!p || typeof p !== 'object') return null;
  const input = rateOf(p.input_mtok);
  const output = rateOf(p.output_mtok);
  const cacheRead = rateOf(p.cache_read_mtok);
  const cacheWrite = rateOf(p.cache_write_mtok);
  if (input === undefined || input === null || output === undefined || output === null || cacheRead === null || cacheWrite === null) return null;
  const starts = new Set<number>();
  for (const r of [input, output, cacheRead, cacheWrite]) if (r !== undefined && typeof r !== 'number') for (const tier of r.tiers) starts.add(tier.start);
  return { input, output, cacheRead, cacheWrite, starts: [...starts].sort((a, b) => a - b) };
}

function learnFlatPrice(provider: string, model: string, tokens: PricedTokens, price: unknown, total: number): void {
  const key = `${provider}\u0000${model}`;
  let entry = flat.get(key);
  if (!entry || Date.now() > entry.until) {
    if (flat.size >= FLAT_MAX) flat.clear();
    entry = { rates: flatRates(price), confirmed: new Set(), until: Date.now() + FLAT_TTL_MS };
    flat.set(key, entry);
  }
  if (!entry.rates) return;
  const ours = learnedCost(entry.rates, tokens);
  if (Math.abs(ours - total) <= 1e-9 * Math.max(1, Math.abs(total))) entry.confirmed.add(shapeOf(tokens, entry.rates.starts));
  else entry.rates = null;
}

/**
 * What `tokens` would cost on `provider/model` before any call (a run's cost estimate): the
 * project's own prices, else the table, loaded if needed. Undefined when neither knows it.
 */
export async function priceOf(provider: string, model: string, tokens: PricedTokens, prices: ProviderSettings['prices']): Promise<number | undefined> {
  if (!prices?.[model] && callNeedsTable(provider, model, tokens)) await loadPriceTable();
  return priceCall(provider, model, tokens, undefined, prices).cost;
}
