// The experiment document (SPEC §4): a dataset × targets × evaluators, with execution
// settings and thresholds. This one zod schema validates API bodies and YAML files, and feeds
// the OpenAPI document. Every object in it is strict: a misspelt key (`evaluator:`,
// `treshold:`, an evaluator's `setting:`) is refused naming it, never dropped — a dropped
// `evaluators` list made a run with no checks pass a CI gate.
import { z } from 'zod';
import { NO_NUL, slugSchema } from './slug.js';

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be 1–64 letters, digits, "_", ".", ":" or "-"');

/** A JSON object whose keys are dataset columns. */
export const rowSchema = z.record(z.string(), z.unknown());
export type Row = z.infer<typeof rowSchema>;

/**
 * An array of rows (objects), checked in one loop: zod's per-row parse of 60,000 rows held the
 * main thread 63–89 ms on every save of a 12 MB document, this loop ≈ 1 ms. Documented as the
 * array of objects it is.
 */
export function rowsSchema(maxRows = Infinity) {
  return z
    .custom<Row[]>((v) => Array.isArray(v), { message: 'expected an array of rows (objects)' })
    .superRefine((rows, ctx) => {
      if (rows.length > maxRows) {
        ctx.addIssue({ code: 'custom', message: `too many rows: ${rows.length} (at most ${maxRows})` });
        return;
      }
      for (let i = 0; i < rows.length; i++) {
        const row: unknown = rows[i];
        if (typeof row !== 'object' || row === null || Array.isArray(row)) {
          ctx.addIssue({ code: 'custom', path: [i], message: 'expected an object (a row)' });
          return;
        }
      }
    })
    .meta({ type: 'array', items: { type: 'object', additionalProperties: {} }, ...(Number.isFinite(maxRows) ? { maxItems: maxRows } : {}) });
}

const MAX_TEMPLATE = 1_000_000;
const template = z.string().max(MAX_TEMPLATE);

/** Model call parameters, in the AI SDK's names. */
export const modelParamsSchema = z
  .object({
    temperature: z.number().min(0).max(2),
    maxTokens: z.int().min(1).max(1_048_576),
    topP: z.number().min(0).max(1),
    topK: z.int().min(1),
    seed: z.int(),
    stop: z.array(z.string()).max(16),
    frequencyPenalty: z.number().min(-2).max(2),
    presencePenalty: z.number().min(-2).max(2),
  })
  .partial()
  .strict();

export const messageSchema = z
  .object({
    role: z.enum(['system', 'user', 'assistant']),
    content: template,
  })
  .strict();

const targetBase = {
  /** Stable id used in results, events and evaluator `targets` lists. */
  id: idSchema,
  /** Display name; defaults to the id. */
  name: z.string().min(1).max(200).optional(),
};

/** The model families whose provider a bare model name gives away. */
const FAMILIES: [RegExp, string][] = [
  [/^(gpt-|o\d|chatgpt-|text-embedding-)/i, 'openai'],
  [/^claude-/i, 'anthropic'],
  [/^gemini-/i, 'google'],
];

/** Why a model name without its provider is refused, with the name it probably meant. */
function modelWithoutProvider(input: unknown): string {
  const name = typeof input === 'string' ? input.slice(0, 100) : '';
  const provider = FAMILIES.find(([re]) => re.test(name))?.[1];
  if (provider) return `must be "provider/model": did you mean "${provider}/${name}"?`;
  return 'must be "provider/model", e.g. "openai/gpt-4o-mini", or a provider registered with PUT /api/providers/{name} followed by its model';
}

export const promptTargetSchema = z.object({
  ...targetBase,
  type: z.literal('prompt'),
  /** `provider/model`, e.g. `openai/gpt-4o-mini`. */
  model: z.string().regex(/^[A-Za-z0-9_.-]+\/.+$/, { error: (issue) => modelWithoutProvider(issue.input) }).max(200),
  params: modelParamsSchema.optional(),
  messages: z.array(messageSchema).min(1).max(200),
  /**
   * Extra template variables bound before rendering (LangWatch-style prompt inputs): each maps a
   * name to `row.<column>` or a literal `{value}`. Row columns are always readable directly.
   */
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier'), z.lazy(() => inputMappingSchema)).optional(),
  /** JSON Schema of a structured output; when set the output is the parsed object. */
  outputSchema: z.record(z.string(), z.unknown()).optional(),
}).strict();

export const httpAuthSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('bearer'), token: z.string().max(10_000) }).strict(),
  z.object({ type: z.literal('basic'), username: z.string().max(1000), password: z.string().max(10_000) }).strict(),
  z
    .object({
      type: z.literal('api_key'),
      header: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid header name').max(200),
      value: z.string().max(10_000),
    })
    .strict(),
]);

export const httpTargetSchema = z.object({
  ...targetBase,
  type: z.literal('http'),
  url: z.string().min(1).max(8192),
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('POST'),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a valid header name'), z.string().max(10_000)).optional(),
  auth: httpAuthSchema.optional(),
  /** JSON body whose string values are Liquid templates, or one template producing the raw body. */
  body: z.unknown().optional(),
  /** JSONPath into the JSON response selecting the output; the whole body when absent. */
  outputPath: z.string().max(2000).optional(),
  timeoutMs: z.int().min(1).max(3_600_000).optional(),
}).strict().refine((t) => t.method !== 'GET' || t.body === undefined, {
  // A GET is sent without a body (fetch and most servers refuse one): it would be saved and dropped.
  path: ['body'], message: 'a GET request has no body: send it with POST (or PUT, PATCH), or put what it needs in the URL',
});

export const codeTargetSchema = z.object({
  ...targetBase,
  type: z.literal('code'),
  /** Body of a JavaScript function of `(row, parameters)`; its return value is the output. */
  code: z.string().min(1).max(200_000),
  timeoutMs: z.int().min(1).max(600_000).optional(),
}).strict();

export const targetSchema = z.discriminatedUnion('type', [promptTargetSchema, httpTargetSchema, codeTargetSchema]);
export type Target = z.infer<typeof targetSchema>;
export type PromptTarget = z.infer<typeof promptTargetSchema>;
export type HttpTarget = z.infer<typeof httpTargetSchema>;
export type CodeTarget = z.infer<typeof codeTargetSchema>;

/**
 * Where an evaluator input comes from: `row.<column>`, `output`, `output.<path>`, or a literal
 * `{value}`.
 */
export const inputMappingSchema = z.union([
  z.string().regex(/^(row\..+|output(\..+)?)$/, 'must be "row.<column>", "output", "output.<path>" or {value: …}'),
  z.object({ value: z.unknown() }).strict(),
]);
export type InputMapping = z.infer<typeof inputMappingSchema>;

export const evaluatorSpecSchema = z.object({
  id: idSchema,
  /** Catalogue id (`langevals/exact_match`, `exact_match`, …). */
  type: z.string().min(1).max(200),
  name: z.string().min(1).max(200).optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  inputs: z.record(z.string().min(1).max(100), inputMappingSchema).optional(),
  /** Limits the evaluator to these target ids (default: every target). */
  targets: z.array(idSchema).min(1).optional(),
  /** Inverts `passed` on pass/fail evaluators. */
  negate: z.boolean().optional(),
  /** Pass when the score reaches this value (scored evaluators). */
  threshold: z.number().optional(),
  /** Weight in weighted aggregates; 0 makes the evaluator informational. */
  weight: z.number().min(0).max(1000).optional(),
}).strict();
export type EvaluatorSpec = z.infer<typeof evaluatorSpecSchema>;

export const executionSchema = z
  .object({
    concurrency: z.int().min(1).max(1000).default(10),
    repeats: z.int().min(1).max(100).default(1),
    timeoutMs: z.int().min(100).max(3_600_000).default(120_000),
    maxRetries: z.int().min(0).max(10).default(3),
    cache: z.boolean().default(false),
    budgetUsd: z.number().positive().optional(),
    /** Failed target calls that stop a run (the run body's `maxErrors` overrides it). */
    maxErrors: z.int().min(1).max(100_000_000).optional(),
  })
  .strict();
export type Execution = z.infer<typeof executionSchema>;

export const thresholdsSchema = z
  .object({
    /** Minimum percentage (0–100) of passing cells for the run to pass. */
    passRate: z.number().min(0).max(100).optional(),
  })
  .strict();

export const datasetRefSchema = z.union([
  z.object({ rows: rowsSchema(1_000_000) }).strict(),
  z
    .object({
      /** A saved dataset's id or slug. */
      datasetId: z.string().min(1).max(200),
      /** Pin a version; the latest when absent. */
      version: z.int().min(1).optional(),
    })
    .strict(),
], {
  // Without this, a slug given alone (`dataset: questions`, `{slug: questions}`) read
  // "Invalid input": say which two shapes there are, with the value the user meant.
  error: (issue) => {
    const input = issue.input;
    const named = typeof input === 'string' ? input : input !== null && typeof input === 'object' && 'slug' in input ? (input as { slug: unknown }).slug : undefined;
    const hint = typeof named === 'string' && named.length <= 200 ? ` (for this dataset: {datasetId: ${JSON.stringify(named)}})` : '';
    return `must be {datasetId: "<a saved dataset's id or slug>", version?: N}${hint} or {rows: [ … ]} (inline rows)`;
  },
});
export type DatasetRef = z.infer<typeof datasetRefSchema>;

/** When an experiment's webhook is called: as a run starts, or as it ends with a status. */
export const webhookWhenSchema = z.enum(['started', 'completed', 'failed', 'stopped']);
export type WebhookWhen = z.infer<typeof webhookWhenSchema>;

/**
 * False for a URL with credentials (`user:password@`), refused wherever a URL is shown in full
 * (webhooks, a provider's base URL, the server's base URLs). True for text that is no URL:
 * zod runs refinements even after the URL check failed, and that failure is already reported.
 */
export function noUserinfo(u: string): boolean {
  if (!URL.canParse(u)) return true;
  const url = new URL(u);
  return url.username === '' && url.password === '';
}

/**
 * A webhook's URL: http or https, without credentials. The URL is shown in full (the run's
 * delivery log, the document, the server's log lines), and a delivery is authenticated by its
 * signature (Assay-Signature), so a user:password in it would only be a secret in plain view.
 */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2000)
  .refine(noUserinfo, 'must not contain credentials (user:password@): the URL is shown in full; check the Assay-Signature header of each delivery instead (docs/webhooks.md)');

/** An experiment's webhook: POSTed (signed) on every run's `events`; default the three endings. */
export const experimentWebhookSchema = z
  .object({
    url: webhookUrlSchema,
    events: z.array(webhookWhenSchema).min(1).max(4).optional(),
  })
  .strict();

const experimentObject = z.object({
  slug: slugSchema.optional(),
  name: z.string().trim().min(1).max(200).regex(...NO_NUL),
  description: z.string().max(10_000).optional(),
  dataset: datasetRefSchema.default({ rows: [] }),
  targets: z.array(targetSchema).min(1).max(50),
  evaluators: z.array(evaluatorSpecSchema).max(100).default([]),
  execution: executionSchema.default(executionSchema.parse({})),
  thresholds: thresholdsSchema.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /** Called on each run's start and/or end (docs/webhooks.md); a run body's webhookUrl adds one for that run. */
  webhooks: z.array(experimentWebhookSchema).max(10).optional(),
}).strict();

const SECRET_REF = /\{\{-?\s*secrets\./;

/** The experiment document with its cross-field rules. */
export const experimentDocumentSchema = experimentObject.superRefine((doc, ctx) => {
  const targetIds = new Set<string>();
  doc.targets.forEach((t, i) => {
    if (targetIds.has(t.id)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'id'], message: `duplicate target id "${t.id}"` });
    targetIds.add(t.id);
  });
  const evaluatorIds = new Set<string>();
  doc.evaluators.forEach((e, i) => {
    if (evaluatorIds.has(e.id)) ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'id'], message: `duplicate evaluator id "${e.id}"` });
    evaluatorIds.add(e.id);
    e.targets?.forEach((tid, j) => {
      if (!targetIds.has(tid)) ctx.addIssue({ code: 'custom', path: ['evaluators', i, 'targets', j], message: `unknown target "${tid}"` });
    });
  });
  // {{secrets.X}} is only expanded where it cannot end up in an output: an HTTP target's url,
  // headers and auth. Anywhere else it would leak into results, so it is refused.
  doc.targets.forEach((t, i) => {
    const places: [string, unknown][] =
      t.type === 'prompt' ? [['messages', t.messages]] : t.type === 'http' ? [['body', t.body]] : [['code', t.code]];
    for (const [field, value] of places) {
      if (SECRET_REF.test(JSON.stringify(value ?? null))) {
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, field],
          message: '{{secrets.…}} is only allowed in an HTTP target\'s url, headers and auth',
        });
      }
    }
  });
});

export type ExperimentDocument = z.infer<typeof experimentDocumentSchema>;
/** The document as a client writes it (defaults not yet applied). */
export type ExperimentDocumentInput = z.input<typeof experimentDocumentSchema>;

/**
 * The document with its inline rows left out: what reads of a version's targets and evaluators
 * need (the results page, comparisons), without parsing up to 10 MB of rows each time.
 */
export function definitionOf(document: ExperimentDocument): ExperimentDocument {
  return 'rows' in document.dataset ? { ...document, dataset: { rows: [] } } : document;
}
