#!/usr/bin/env node
// The price table's flat per-token rates, written out ahead of time (src/models/flat-prices.generated.ts).
// Loading @pydantic/genai-prices (an 800 KB module) cost a server's first run ≈ 0.08 ms of CPU a
// cell and its heap ≈ 3 MB (docs/decisions.md, "Flat prices written out ahead of time"); most
// calls name a model whose price is a plain rate per million tokens, which needs no table.
//
// A model is written out, under its id, the other ids its match rule names outright (dated ids
// like gpt-4o-2024-08-06) and the ids the AI SDK's provider packages list in their types
// (claude-sonnet-4-20250514), only when the table itself agrees: the id resolves to that model, its
// price has no date conditions, and for every kind of call Assay prices (plain, cached input,
// cache writes, both) the table's total equals the rate formula of src/models/pricing.ts. A price
// with volume tiers (Claude Sonnet 4.x, Gemini 2.5 Pro: every token costs more once a call's
// input passes 200k tokens) is written out with its base rates and `upTo`, the input tokens up
// to which they hold (checked at that count too); a larger call is priced by the table.
// Everything else stays with the table. `node scripts/flat-prices.js`
// rewrites the file; src/models/flat-prices.test.ts fails when the installed table and the file
// disagree (after an update of the package).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { calcPrice, findProvider } from '@pydantic/genai-prices';

/** The providers Assay names as the table does (src/models/pricing.ts, TABLE_PROVIDER). */
export const TABLE_PROVIDERS = ['openai', 'anthropic', 'google', 'azure'];

/** The kinds of call the formula must price as the table does. */
const SHAPES = [
  { input: 1_000, output: 500 },
  { input: 1_000, output: 500, cachedInput: 300 },
  { input: 1_000, output: 500, cacheWrite: 200 },
  { input: 5_000, output: 10, cachedInput: 1_000, cacheWrite: 3_000 },
];

/** A plain rate, or a tiered one's base rate and first tier start; null for anything else. */
function rateOf(v) {
  if (typeof v === 'number') return { rate: v, upTo: undefined };
  if (!v || typeof v !== 'object' || typeof v.base !== 'number' || !Array.isArray(v.tiers) || v.tiers.length === 0) return null;
  const starts = v.tiers.map((t) => t?.start);
  if (!starts.every((start) => typeof start === 'number')) return null;
  return { rate: v.base, upTo: Math.min(...starts) };
}

/**
 * Dollars per million tokens of each kind (a kind without a rate of its own is billed as input),
 * and `upTo` when a kind's price has volume tiers: the input tokens up to which these rates hold.
 */
function ratesOf(price) {
  if (!price || typeof price !== 'object' || Array.isArray(price)) return null;
  const kinds = { input: price.input_mtok, output: price.output_mtok, cacheRead: price.cache_read_mtok, cacheWrite: price.cache_write_mtok };
  if (kinds.input === undefined || kinds.output === undefined) return null;
  const rates = {};
  let upTo;
  for (const [kind, value] of Object.entries(kinds)) {
    if (value === undefined) continue;
    const r = rateOf(value);
    if (!r) return null;
    rates[kind] = r.rate;
    if (r.upTo !== undefined) upTo = Math.min(upTo ?? Infinity, r.upTo);
  }
  return upTo === undefined ? rates : { ...rates, upTo };
}

/** The same formula as costAt in src/models/pricing.ts. */
function costAt(rates, t) {
  const r = t.cachedInput ?? 0;
  const w = t.cacheWrite ?? 0;
  return ((t.input - r - w) * rates.input + r * (rates.cacheRead ?? rates.input) + w * (rates.cacheWrite ?? rates.input) + t.output * rates.output) / 1e6;
}

/** The table's flat rates for `model` (asked with `options`), or null when the table would answer otherwise. */
function flatFor(model, options, expectId) {
  const first = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, options);
  if (!first || (expectId !== undefined && first.model.id !== expectId)) return null;
  if (Array.isArray(first.model.prices)) return null; // prices that change on a date
  const rates = ratesOf(first.model_price);
  if (!rates) return null;
  // A tiered price is checked at its threshold too: the table keeps the base rates up to it.
  for (const t of rates.upTo === undefined ? SHAPES : [...SHAPES, { input: rates.upTo, output: 500 }, { input: rates.upTo, output: 10, cachedInput: 1_000, cacheWrite: 3_000 }]) {
    const table = calcPrice({ input_tokens: t.input, output_tokens: t.output, cache_read_tokens: t.cachedInput ?? 0, cache_write_tokens: t.cacheWrite ?? 0 }, model, options);
    if (!table || Math.abs(table.total_price - costAt(rates, t)) > 1e-9 * Math.max(1, Math.abs(table.total_price))) return null;
  }
  return rates;
}

/**
 * The ids a model's match rule names outright (`{ equals }`, alone or among `{ or }`), such as
 * OpenAI's dated ids (`gpt-4o-2024-08-06`). Ids matched by prefix or pattern are left to the table:
 * listing them would mean copying its matching rules. Each id is still checked by flatFor.
 */
function exactIds(match) {
  if (!match || typeof match !== 'object') return [];
  if (typeof match.equals === 'string') return [match.equals];
  return Array.isArray(match.or) ? match.or.flatMap(exactIds) : [];
}

/**
 * The language-model ids an AI SDK provider package lists in its types, for each provider of the
 * table that has one: Anthropic's dated ids (`claude-sonnet-4-20250514`), which the table matches
 * by prefix, are what users write. Candidates only: the table decides which model each id is
 * and what it costs (flatFor), exactly as for a model's own id.
 */
const SDK_MODEL_TYPES = {
  openai: ['@ai-sdk/openai', ['OpenAIChatModelId', 'OpenAIResponsesModelId']],
  anthropic: ['@ai-sdk/anthropic', ['AnthropicMessagesModelId']],
  google: ['@ai-sdk/google', ['GoogleGenerativeAIModelId']],
};

function sdkModelIds(providerId) {
  const entry = SDK_MODEL_TYPES[providerId];
  if (!entry) return [];
  const [pkg, types] = entry;
  const dts = readFileSync(path.join(path.dirname(createRequire(import.meta.url).resolve(pkg)), 'index.d.ts'), 'utf8');
  return types.flatMap((type) => {
    const union = new RegExp(`type ${type} = ([^;]*);`).exec(dts);
    if (!union) throw new Error(`${pkg} no longer declares ${type}: update SDK_MODEL_TYPES in scripts/flat-prices.js`);
    return [...union[1].matchAll(/'([^']+)'/g)].map((m) => m[1]);
  });
}

/**
 * `byProvider`: a model id asked of its own provider (`openai/gpt-4o`). `anyProvider`: the same
 * ids asked with no provider, as a registered OpenAI-compatible provider's calls are.
 */
export function flatPriceSnapshot() {
  const byProvider = {};
  const anyProvider = {};
  for (const providerId of TABLE_PROVIDERS) {
    const models = {};
    /** Writes `id` out where the table prices it flat: of this provider (as model `expectId`, if given), and by id alone. */
    const add = (id, expectId) => {
      const rates = flatFor(id, { providerId }, expectId);
      if (rates) models[id] = rates;
      if (!(id in anyProvider)) {
        const any = flatFor(id, {});
        if (any) anyProvider[id] = any;
      }
    };
    for (const m of findProvider({ providerId })?.models ?? []) for (const id of new Set([m.id, ...exactIds(m.match)])) add(id, m.id);
    for (const id of sdkModelIds(providerId)) if (!(id in models)) add(id);
    byProvider[providerId] = models;
  }
  return { byProvider, anyProvider };
}

/** The module src/models/flat-prices.generated.ts, one model a line. */
export function renderSnapshot(snapshot) {
  const block = (models, indent) =>
    Object.keys(models)
      .sort()
      .map((id) => `${indent}${JSON.stringify(id)}: { ${Object.entries(models[id]).map(([k, v]) => `${k}: ${v}`).join(', ')} },`)
      .join('\n');
  const providers = Object.keys(snapshot.byProvider)
    .map((p) => `    ${p}: {\n${block(snapshot.byProvider[p], '      ')}\n    },`)
    .join('\n');
  return `// Generated by scripts/flat-prices.js from the installed @pydantic/genai-prices; do not edit.
// Dollars per million tokens; a kind of token without a rate of its own is billed as input.
// Typed where it is read (flat-prices.ts), which this file must not import (no cycles).

export const FLAT_PRICES = {
  byProvider: {
${providers}
  },
  anyProvider: {
${block(snapshot.anyProvider, '    ')}
  },
};
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = fileURLToPath(new URL('../src/models/flat-prices.generated.ts', import.meta.url));
  const snapshot = flatPriceSnapshot();
  writeFileSync(file, renderSnapshot(snapshot));
  const count = Object.values(snapshot.byProvider).reduce((n, m) => n + Object.keys(m).length, 0);
  console.log(`wrote ${file}: ${count} models by provider, ${Object.keys(snapshot.anyProvider).length} by id alone`);
}
