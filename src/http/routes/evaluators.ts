// GET /api/evaluators: the evaluator catalogue (ids, aliases, inputs, settings schemas).
import { z } from 'zod';
import type { RouteTable } from '../route.js';

export const evaluatorDescriptionSchema = z.object({
  id: z.string(),
  aliases: z.array(z.string()),
  name: z.string(),
  category: z.string(),
  description: z.string(),
  requiredInputs: z.array(z.string()),
  optionalInputs: z.array(z.string()),
  result: z.array(z.string()),
  needsModel: z.boolean().describe('Calls a model itself (judges, embeddings). An evaluator set is false: it calls one only through its members'),
  settings: z.record(z.string(), z.unknown()).describe('JSON Schema of the settings, with defaults'),
});

export function evaluatorRoutes(routes: RouteTable, describe: () => unknown[]): void {
  routes.add(
    {
      method: 'get', path: '/api/evaluators', summary: 'The evaluator catalogue', tags: ['Evaluators'], auth: 'project',
      responses: { 200: { description: 'Every evaluator', schema: z.object({ evaluators: z.array(evaluatorDescriptionSchema) }) } },
    },
    (c) => c.json({ evaluators: describe() }),
  );
}
