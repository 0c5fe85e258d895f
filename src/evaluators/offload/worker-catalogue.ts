// The evaluator worker's catalogue: each evaluator the guard can offload (./guard.ts: an offline
// family with `inlineChars`), by id, with a loader that imports that evaluator's module alone.
// The main thread's catalogue (../catalogue.ts) imports every module, which was most of a
// worker's start (docs/benchmarks.md, "Evaluator worker start"); a worker now loads only the
// modules of the evaluators it is sent. ../catalogue.ts stays the source of truth: the test beside
// this file checks that every evaluator it can offload resolves here to the same definition.
// See docs/decisions.md, "The evaluator worker loads only the evaluators it is sent".
import type { EvaluatorDefinition } from '../../core/model/adapters.js';
import { lazy } from '../lazy.js';
import { guarded } from './guard.js';

/** Loaders of the offloadable definitions by catalogue id, each importing one module. */
export const OFFLOADABLE: Readonly<Record<string, () => Promise<EvaluatorDefinition>>> = {
  exact_match: async () => (await import('../exact-match.js')).exactMatch,
  text_rules: async () => (await import('../text-rules.js')).textRules,
  competitor_blocklist: async () => (await import('../text-rules.js')).competitorBlocklist,
  valid_format: async () => (await import('../valid-format.js')).validFormat,
  json_compare: async () => (await import('../json-compare.js')).jsonCompare,
  tool_calls: async () => (await import('../tool-calls.js')).toolCalls,
  run_budget: async () => (await import('../run-budget.js')).runBudget,
  language_detection: async () => (await import('../language.js')).languageDetection,
  pii_detection: async () => (await import('../pii.js')).piiDetection,
  secrets_detection: async () => (await import('../secrets-detection.js')).secretsDetection,
  string_distance: async () => (await import('../string-distance.js')).stringDistance,
  text_similarity: async () => (await import('../text-similarity.js')).textSimilarity,
  bleu_score: async () => (await import('../text-similarity.js')).bleuScore,
  rouge_score: async () => (await import('../text-similarity.js')).rougeScore,
  context_precision: async () => (await import('../context-metrics.js')).contextPrecision,
  context_recall: async () => (await import('../context-metrics.js')).contextRecall,
  nonllm_context_precision: async () => (await import('../context-metrics.js')).nonLlmContextPrecision,
  nonllm_context_recall: async () => (await import('../context-metrics.js')).nonLlmContextRecall,
  context_f1: async () => (await import('../context-metrics.js')).contextF1,
} as Record<string, () => Promise<EvaluatorDefinition>>;

/** The whole catalogue, for an id outside OFFLOADABLE (a programming error the test catches). */
const wholeCatalogue = lazy(() => import('../catalogue.js'));

/** Definitions resolved so far, guarded as the catalogue's are. */
const resolved = new Map<string, Promise<EvaluatorDefinition | undefined>>();

/**
 * The definition the catalogue has for `id` (a catalogue id, as the guard sends), loading only its
 * module; undefined for an unknown id. Guarded as in the catalogue: without an offload port (the
 * worker) its create() is the definition's own. An id missing from OFFLOADABLE still resolves,
 * through the whole catalogue, so a stale map costs a slower start, not a failed evaluation. A
 * failed load is forgotten, so the next task tries again.
 */
export function loadWorkerEvaluator(id: string): Promise<EvaluatorDefinition | undefined> {
  const known = resolved.get(id);
  if (known) return known;
  const load = Object.hasOwn(OFFLOADABLE, id) ? OFFLOADABLE[id]! : undefined;
  const def = load ? load().then(guarded) : wholeCatalogue().then((c) => c.findEvaluator(id));
  resolved.set(id, def);
  def.catch(() => {
    if (resolved.get(id) === def) resolved.delete(id);
  });
  return def;
}
