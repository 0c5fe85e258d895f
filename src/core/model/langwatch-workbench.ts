// LangWatch's persisted `Experiment.workbenchState` (Evaluations V3), as far as the importer
// (./langwatch-import.ts) reads it. Loose objects: the workbench stores many UI-only keys we
// must not reject.
import { z } from 'zod';


const fieldMappingSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('source'),
    source: z.enum(['dataset', 'target']),
    sourceId: z.string(),
    sourceField: z.string(),
  }),
  z.looseObject({ type: z.literal('value'), value: z.string() }),
]);
export type FieldMapping = z.infer<typeof fieldMappingSchema>;

const columnSchema = z.looseObject({ id: z.string(), name: z.string(), type: z.string() });

/**
 * A column's values: checked here only to be an array. zod's per-element check of a million
 * strings held the main thread 44–112 ms; the import checks each value as it builds its row, in
 * turns of the event loop (./langwatch-import.ts).
 */
const recordsSchema = z
  .custom<unknown[]>((v) => Array.isArray(v), { message: 'expected an array of strings' })
  .meta({ type: 'array', items: { type: 'string' } });

const datasetReferenceSchema = z.looseObject({
  id: z.string(),
  type: z.enum(['inline', 'saved']),
  inline: z
    .looseObject({ columns: z.array(columnSchema), records: z.record(z.string(), recordsSchema) })
    .nullish(),
  datasetId: z.string().nullish(),
  columns: z.array(columnSchema).optional(),
});

const optionalNumber = z.number().nullish();
const localPromptConfigSchema = z.looseObject({
  llm: z.looseObject({
    model: z.string(),
    temperature: optionalNumber,
    maxTokens: optionalNumber,
    max_tokens: optionalNumber,
    topP: optionalNumber,
    topK: optionalNumber,
    seed: optionalNumber,
    frequencyPenalty: optionalNumber,
    presencePenalty: optionalNumber,
  }),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'user', 'assistant']), content: z.string() })),
  inputs: z.array(z.looseObject({ identifier: z.string() })).optional(),
  outputs: z.array(z.looseObject({ identifier: z.string(), type: z.string(), json_schema: z.unknown().optional() })).optional(),
});

const targetConfigSchema = z.looseObject({
  id: z.string(),
  type: z.enum(['prompt', 'agent', 'evaluator', 'workflow']),
  name: z.string().nullish(),
  promptId: z.string().nullish(),
  localPromptConfig: localPromptConfigSchema.nullish(),
  mappings: z.record(z.string(), z.record(z.string(), fieldMappingSchema)).default({}),
});
export type TargetConfig = z.infer<typeof targetConfigSchema>;

const settingsSchema = z.record(z.string(), z.unknown());
const evaluatorConfigSchema = z.looseObject({
  id: z.string(),
  evaluatorType: z.string(),
  name: z.string().nullish(),
  settings: settingsSchema.nullish(),
  localEvaluatorConfig: z.looseObject({ name: z.string().nullish(), settings: settingsSchema.nullish() }).nullish(),
  mappings: z.record(z.string(), z.record(z.string(), z.record(z.string(), fieldMappingSchema))).default({}),
  comparison: z.unknown().optional(),
  pairwise: z.unknown().optional(),
});
export type EvaluatorConfig = z.infer<typeof evaluatorConfigSchema>;

/** LangWatch's persisted `Experiment.workbenchState`, checked only where the importer reads it. */
export const workbenchStateSchema = z.looseObject({
  experimentSlug: z.string().nullish(),
  name: z.string(),
  datasets: z.array(datasetReferenceSchema),
  targets: z.array(targetConfigSchema),
  evaluators: z.array(evaluatorConfigSchema),
  concurrency: z.int().min(1).max(24).nullish(),
});

/** A parsed workbenchState, for callers that want to inspect it before importing. */
export type WorkbenchState = z.infer<typeof workbenchStateSchema>;
