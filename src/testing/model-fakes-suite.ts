// For test files of model-using evaluators: the fake OpenAI and Anthropic servers started once
// per file and reset to honest behaviour (no canned answer, no failures, hangs or reported
// cost, no recorded requests) before every test.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type ModelFakes, startModelFakes } from './model-client.js';

/** Registers the hooks; the returned function gives the running fakes inside tests. */
export function useModelFakes(): () => ModelFakes {
  let fakes: ModelFakes | undefined;
  beforeAll(async () => {
    fakes = await startModelFakes();
  });
  afterAll(async () => {
    await fakes?.close();
  });
  beforeEach(() => {
    for (const fake of [fakes!.openai, fakes!.anthropic]) {
      fake.setBehaviour({ respond: undefined, failRate: 0, hangRate: 0, reportCost: false, models: {} });
      fake.requests.length = 0;
    }
  });
  return () => fakes!;
}
