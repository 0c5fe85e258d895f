import { noModels } from '../testing/no-models.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxFactory, TargetDeps } from '../core/model/adapters.js';
import { codeTargetSchema } from '../core/model/experiment.js';
import { CallError, type TargetAdapter } from '../core/model/results.js';
import { IsolatedSandbox } from '../sandbox/isolated.js';
import { createCodeTarget } from './code.js';
import { createTarget } from './index.js';

const isolated = new IsolatedSandbox();
const compiles: string[] = [];
const sandbox: SandboxFactory = {
  compile(body, options) {
    compiles.push(body);
    return isolated.compile(body, options);
  },
};
const deps: TargetDeps = { sandbox, secrets: {}, allowPrivateNetworks: false, models: noModels, cache: null };
const open: TargetAdapter[] = [];

function target(code: string, timeoutMs?: number): TargetAdapter {
  const t = createCodeTarget(codeTargetSchema.parse({ id: 'c', type: 'code', code, timeoutMs }), deps);
  open.push(t);
  return t;
}

const signal = () => new AbortController().signal;

afterEach(async () => {
  for (const t of open.splice(0)) await t.dispose?.();
  compiles.length = 0;
});

describe('code target', () => {
  it('returns the JSON value the code returns, from the row and parameters', async () => {
    const t = target('return { upper: row.question.toUpperCase(), lang: parameters.lang }');
    expect(await t.call({ row: { question: 'hi' }, parameters: { lang: 'fr' }, signal: signal() })).toEqual({ output: { upper: 'HI', lang: 'fr' }, cost: 0 });
    expect(await t.call({ row: { question: 'yo' }, parameters: { lang: 'de' }, signal: signal() })).toEqual({ output: { upper: 'YO', lang: 'de' }, cost: 0 });
    expect(compiles).toHaveLength(1);
  });

  it('compiles lazily, once, and reports a compile error on every call', async () => {
    const t = target('return (');
    expect(compiles).toHaveLength(0);
    for (let i = 0; i < 2; i++) {
      const error = await t.call({ row: {}, parameters: {}, signal: signal() }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CallError);
      expect((error as CallError).message).toBe("code does not compile: Unexpected token '}' at the end of the code (line 1)");
    }
    expect(compiles).toHaveLength(1);
  });

  it('applies its own timeout', async () => {
    const t = target('while (true) {}', 100);
    await expect(t.call({ row: {}, parameters: {}, signal: signal() })).rejects.toThrow('code timed out after 100 ms');
  });

  it('answers null when the code returns nothing', async () => {
    expect(await target('row.x = 1').call({ row: {}, parameters: {}, signal: signal() })).toEqual({ output: null, cost: 0 });
  });

  it('is disposed with the run', async () => {
    const t = target('return 1');
    await t.call({ row: {}, parameters: {}, signal: signal() });
    await t.dispose?.();
    await expect(t.call({ row: {}, parameters: {}, signal: signal() })).rejects.toThrow('the code sandbox was disposed');
  });
});

describe('createTarget', () => {
  it('builds each target type', async () => {
    const code = createTarget({ id: 'c', type: 'code', code: 'return 2' }, deps);
    open.push(code);
    expect((await code.call({ row: {}, parameters: {}, signal: signal() })).output).toBe(2);
    const http = createTarget({ id: 'h', type: 'http', url: 'https://example.com/chat', method: 'POST' }, deps);
    expect(http.limitKey).toBe('http:https://example.com');
    const templated = createTarget({ id: 'h', type: 'http', url: '{{ parameters.base | raw }}/chat', method: 'POST' }, deps);
    expect(templated.limitKey).toBe('http:{{ parameters.base | raw }}');
    const prompt = createTarget({ id: 'p', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, deps);
    // Prompt targets call the project's models: with none available the call fails, naming the model.
    await expect(prompt.call({ row: {}, parameters: {}, signal: signal() })).rejects.toThrow("openai/gpt-4o-mini");
  });
});
