// The evaluator catalogue: every definition Assay ships, looked up by id, alias or LangWatch's
// `code/<id>`. Adding an evaluator is its own file plus one line in CATALOGUE.
import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { Issue } from '../core/errors.js';
import { compare } from './compare.js';
import { contextF1, contextPrecision, contextRecall, nonLlmContextPrecision, nonLlmContextRecall } from './context-metrics.js';
import { customCode } from './custom-code.js';
import { jsonCompare } from './json-compare.js';
import { languageDetection } from './language.js';
import { moderation } from './moderation.js';
import { piiDetection } from './pii.js';
import { secretsDetection } from './secrets-detection.js';
import { runBudget } from './run-budget.js';
import { toolCalls } from './tool-calls.js';
import { makeEvaluatorSet } from './evaluator-set.js';
import { exactMatch } from './exact-match.js';
import { llmAnswerMatch, llmBoolean, llmCategory, llmScore } from './llm-judge.js';
import { answerRelevancy, faithfulness } from './rag.js';
import { rubricScore } from './rubric.js';
import { semanticSimilarity } from './similarity.js';
import { stringDistance } from './string-distance.js';
import { bleuScore, rougeScore, textSimilarity } from './text-similarity.js';
import { competitorBlocklist, textRules } from './text-rules.js';
import { validFormat } from './valid-format.js';
import { guarded } from './offload/guard.js';

/**
 * Every evaluator, in the order GET /api/evaluators lists them. Each is guarded (./offload/guard.ts):
 * offline evaluations above their family's `inlineChars` run in the evaluator pool.
 */
export const CATALOGUE: EvaluatorDefinition[] = ([
  exactMatch,
  textRules,
  competitorBlocklist,
  validFormat,
  jsonCompare,
  toolCalls,
  runBudget,
  languageDetection,
  piiDetection,
  secretsDetection,
  moderation,
  customCode,
  llmBoolean,
  llmScore,
  llmCategory,
  llmAnswerMatch,
  semanticSimilarity,
  stringDistance,
  textSimilarity,
  bleuScore,
  rougeScore,
  rubricScore,
  faithfulness,
  answerRelevancy,
  contextPrecision,
  contextRecall,
  nonLlmContextPrecision,
  nonLlmContextRecall,
  contextF1,
  compare,
  // Members are looked up lazily, so the set can name any evaluator of this catalogue.
  makeEvaluatorSet((type) => findEvaluator(type)),
] as EvaluatorDefinition[]).map(guarded);

/** LangWatch custom code evaluators are typed `code/<evaluatorId>`; all of them run as custom_code. */
const CODE_PREFIX = 'code/';

const BY_NAME: ReadonlyMap<string, EvaluatorDefinition> = (() => {
  const map = new Map<string, EvaluatorDefinition>();
  for (const def of CATALOGUE) {
    for (const name of [def.id, ...def.aliases]) {
      // Two entries claiming one name is a programming error; fail at start-up, not per run.
      if (map.has(name)) throw new Error(`evaluator name "${name}" is claimed twice in the catalogue`);
      map.set(name, def);
    }
  }
  return map;
})();

/** The definition a spec's `type` names, or undefined. */
export function findEvaluator(type: string): EvaluatorDefinition | undefined {
  const exact = BY_NAME.get(type);
  if (exact) return exact;
  if (type.startsWith(CODE_PREFIX) && type.length > CODE_PREFIX.length) return BY_NAME.get(customCode.id);
  return undefined;
}

/** The part after a vendor prefix: `langevals/exact_mach` is a typo of `exact_match` too. */
const lastSegment = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** Known names, the closest to `type` first (then the closest whole name, then alphabetical). */
function knownNames(type: string): string[] {
  const lower = type.toLowerCase();
  return [...BY_NAME.keys(), `${CODE_PREFIX}<id>`]
    .map((name) => {
      const whole = distance(lower, name.toLowerCase());
      return { name, whole, d: Math.min(whole, distance(lastSegment(lower), lastSegment(name.toLowerCase()))) };
    })
    .sort((x, y) => x.d - y.d || x.whole - y.whole || x.name.localeCompare(y.name))
    .map((x) => x.name);
}

/** Names shown after an unknown type: the closest; the catalogue has them all. */
const CLOSEST_SHOWN = 5;

/**
 * Why a type is unknown: the closest name as a suggestion when it is near (a typo, a missing
 * prefix), the few closest after it, and where the whole catalogue is (seventy names in one
 * line hid the one that mattered).
 */
function unknownType(type: string): string {
  const names = knownNames(type);
  const shown = JSON.stringify(type.length > 60 ? `${type.slice(0, 60)}…` : type);
  const best = names[0]!;
  const lower = type.toLowerCase();
  const near = Math.min(distance(lower, best.toLowerCase()), distance(lastSegment(lower), lastSegment(best.toLowerCase()))) <= Math.max(2, Math.floor(lastSegment(lower).length / 3));
  return (
    `unknown evaluator type ${shown}${near ? ` (did you mean "${best}"?)` : ''}; the closest known: ${names.slice(0, CLOSEST_SHOWN).join(', ')}; ` +
    `GET /api/evaluators lists all ${BY_NAME.size}, and ${CODE_PREFIX}<id> names a custom code evaluator`
  );
}

/**
 * The top-level setting names of an evaluator type, or null when its settings are not an object
 * of known keys (or the type is unknown): what a document may name under `settings`.
 */
export function settingNames(type: string): readonly string[] | null {
  const schema = findEvaluator(type)?.settings;
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : null;
}

/** Settings with defaults filled in, or the problems with paths relative to the settings. */
export type SettingsValidation = { ok: true; settings: unknown } | { ok: false; issues: Issue[] };

/**
 * Validates an evaluator's settings against its catalogue entry and fills in defaults.
 * Paths are relative to the settings object; callers prefix them with where it sits.
 */
export function validateEvaluatorSettings(type: string, settings: unknown): SettingsValidation {
  const def = findEvaluator(type);
  if (!def) {
    return { ok: false, issues: [{ path: [], message: unknownType(type) }] };
  }
  // LangWatch stores "no settings" as null; both null and absent mean "all defaults".
  const parsed = def.settings.safeParse(settings ?? {});
  if (parsed.success) return { ok: true, settings: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: issue.path.map((p) => (typeof p === 'number' ? p : String(p))),
      message: issue.message,
    })),
  };
}

/** One entry of GET /api/evaluators: the definition minus code, settings as JSON Schema. */
export interface EvaluatorDescription {
  id: string;
  aliases: string[];
  name: string;
  category: EvaluatorDefinition['category'];
  description: string;
  requiredInputs: string[];
  optionalInputs: string[];
  result: EvaluatorDefinition['result'];
  needsModel: boolean;
  /** JSON Schema (2020-12) of the settings as a client writes them, defaults included. */
  settings: Record<string, unknown>;
}

let described: EvaluatorDescription[] | undefined;

/** The catalogue as JSON for GET /api/evaluators; computed once, the catalogue never changes. */
export function describeCatalogue(): EvaluatorDescription[] {
  described ??= CATALOGUE.map((def) => ({
    id: def.id,
    aliases: [...def.aliases],
    name: def.name,
    category: def.category,
    description: def.description,
    requiredInputs: [...def.requiredInputs],
    optionalInputs: [...def.optionalInputs],
    result: [...def.result],
    needsModel: def.needsModel,
    settings: z.toJSONSchema(def.settings, { io: 'input' }) as Record<string, unknown>,
  }));
  return structuredClone(described);
}
