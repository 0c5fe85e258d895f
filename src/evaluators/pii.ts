// PII detection with LangWatch's `presidio/pii_detection` settings (the 25 entity switches and
// min_threshold), computed in-process from regexes and validators (./pii-entities.ts) instead
// of Presidio. Like Presidio, a candidate without a checksum scores higher when one of its
// context words stands among the five words before it. Details name entity types, fields and
// positions, never the matched text.
import { z } from 'zod';
import type { EvaluatorDefinition } from '../core/model/adapters.js';
import type { EvaluationResult } from '../core/model/results.js';
import { textInput } from './inputs.js';
import { DEFAULT_ON, type Detector, DETECTORS, ENTITY_KEYS, type EntityKey, loadValidators, NEEDS_MODEL, type Validators } from './pii-entities.js';

/** LangWatch refuses content over 512 KiB; here it is skipped. */
const MAX_CHARS = 524_288;
/**
 * Inline cap: overlapping candidates are resolved pairwise, so text full of matches is
 * quadratic (`10.0.0.1 ` repeated: 100 KB took 175 ms, 300 KB 2 s). At the cap: 0.7 ms (median, bench/evaluator-caps.ts).
 */
const INLINE_CHARS = 3_000;
/** Presidio's context enhancement: +0.35, at least 0.4, from the five preceding words. */
const CONTEXT_BOOST = 0.35;
const CONTEXT_FLOOR = 0.4;
const CONTEXT_WORDS = 5;
/** How far back the context words are looked for (five long words fit). */
const CONTEXT_CHARS = 80;

const DEFAULT_ENTITIES = Object.fromEntries(ENTITY_KEYS.map((key) => [key, DEFAULT_ON.has(key)])) as Record<EntityKey, boolean>;

const entitiesSchema = z
  .strictObject(Object.fromEntries(ENTITY_KEYS.map((key) => [key, z.boolean().default(DEFAULT_ENTITIES[key])])) as Record<EntityKey, z.ZodDefault<z.ZodBoolean>>)
  .refine((e) => Object.values(e).some(Boolean), 'enable at least one entity')
  // The whole map as the default, so GET /api/evaluators shows every switch's default.
  .default(DEFAULT_ENTITIES)
  .describe('Which kinds of PII to look for; keys left out keep their default');

const settings = z.object({
  entities: entitiesSchema,
  min_threshold: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .describe('Minimum confidence (0–1) for a match to count: 1 = checksum-valid, 0.3–0.6 = format only, +0.35 next to context words'),
});

interface Finding {
  label: string;
  entity: EntityKey;
  field: 'input' | 'output';
  start: number;
  end: number;
  score: number;
}

/**
 * JSON text keeps line breaks as `\n` escapes, which would glue a letter to the next word.
 * They become two spaces, which keeps every position where it was.
 */
const unescapeBreaks = (text: string): string => text.replace(/\\[nrt]/g, '  ');

/** The lower-case words (and their joined text) just before `start`. */
function wordsBefore(text: string, start: number): { words: Set<string>; phrase: string } {
  const list = (text.slice(Math.max(0, start - CONTEXT_CHARS), start).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(-CONTEXT_WORDS);
  return { words: new Set(list), phrase: list.join(' ') };
}

function hasContext(detector: Detector, text: string, start: number): boolean {
  if (detector.context.length === 0) return false;
  const { words, phrase } = wordsBefore(text, start);
  return detector.context.some((c) => (c.includes(' ') ? phrase.includes(c) : words.has(c)));
}

function scan(detectors: readonly Detector[], validators: Validators, text: string, field: Finding['field']): Finding[] {
  const found: Finding[] = [];
  for (const d of detectors) {
    d.regex.lastIndex = 0;
    for (let m = d.regex.exec(text); m !== null; m = d.regex.exec(text)) {
      const base = d.score(m[0], validators);
      if (base === undefined) continue;
      const score = base < 1 && hasContext(d, text, m.index) ? Math.min(1, Math.max(base + CONTEXT_BOOST, CONTEXT_FLOOR)) : base;
      found.push({ label: d.label, entity: d.entity, field, start: m.index, end: m.index + m[0].length, score });
    }
  }
  return found;
}

/**
 * One finding per stretch of text: overlapping matches keep the most confident one (then the
 * longest), so a 15-digit card number is not also counted as a phone number.
 */
function resolveOverlaps(findings: Finding[]): Finding[] {
  const ranked = [...findings].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Finding[] = [];
  for (const f of ranked) {
    if (!kept.some((k) => k.field === f.field && k.start < f.end && f.start < k.end)) kept.push(f);
  }
  return kept.sort((a, b) => (a.field === b.field ? a.start - b.start : a.field === 'input' ? -1 : 1));
}

/** `pii_detection` / `presidio/pii_detection`: score = number of findings, passed = none. */
export const piiDetection: EvaluatorDefinition<typeof settings> = {
  id: 'pii_detection',
  aliases: ['presidio/pii_detection'],
  name: 'PII Detection',
  category: 'safety',
  description:
    'Finds personal data (card numbers, crypto wallets, emails, IBANs, IP addresses, phone numbers, DEA numbers and ' +
    'national ids) in the input and output with patterns and checksums. Fails when any is found; score is the count. ' +
    'person and location need a language model and are not detected.',
  requiredInputs: [],
  optionalInputs: ['input', 'output'],
  stringInputs: ['input', 'output'],
  settings,
  result: ['passed', 'score'],
  needsModel: false,
  inlineChars: () => INLINE_CHARS,
  create(s) {
    const enabled = ENTITY_KEYS.filter((key) => s.entities[key]);
    const detectors = DETECTORS.filter((d) => s.entities[d.entity]);
    const unsupported = enabled.filter((key) => NEEDS_MODEL.has(key));
    const note =
      unsupported.length > 0
        ? `${unsupported.join(' and ')} ${unsupported.length > 1 ? 'need' : 'needs'} a named-entity model, which Assay does not have offline: not checked`
        : undefined;
    return {
      async evaluate(inputs): Promise<EvaluationResult> {
        if (detectors.length === 0) {
          return { status: 'skipped', details: `${note}; enable another entity (e.g. email_address) or use an LLM judge for names and places` };
        }
        const fields = (['input', 'output'] as const).flatMap((field) => {
          const text = textInput(inputs[field]);
          return text === undefined || text.trim() === '' ? [] : [{ field, text }];
        });
        if (fields.length === 0) return { status: 'skipped', details: 'input and output are both missing or empty: map at least one of them' };
        const size = fields.reduce((n, f) => n + f.text.length, 0);
        if (size > MAX_CHARS) return { status: 'skipped', details: `input and output hold ${size} characters, above the ${MAX_CHARS} PII detection reads` };

        const validators = await loadValidators();
        const candidates = fields.flatMap((f) => scan(detectors, validators, unescapeBreaks(f.text), f.field));
        const findings = resolveOverlaps(candidates.filter((f) => f.score >= s.min_threshold));
        const listed = findings.map((f) => `${f.label} in ${f.field} at ${f.start}–${f.end} (likelihood ${f.score.toFixed(2)})`);
        const parts = [listed.length > 0 ? `PII detected: ${listed.join(', ')}` : undefined, note].filter((p) => p !== undefined);
        return { status: 'processed', passed: findings.length === 0, score: findings.length, ...(parts.length > 0 ? { details: parts.join('. ') } : {}) };
      },
    };
  },
};
