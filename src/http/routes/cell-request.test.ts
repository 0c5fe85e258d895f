// GET …/runs/{runId}/request: a prompt target's messages for one row, rebuilt from what the run
// read, are the messages the fake OpenAI server received for that row (real HTTP, the real wire
// protocol); parameters, variables and row_indices count. An HTTP target's request is what the
// fake agent received, but for the parts that read secrets, shown as templates. Code targets are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlmProvider } from '../../testing/fake-provider-core.js';
import { startFakeOpenAI } from '../../testing/fake-openai.js';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { startRun, waitForRun } from '../../testing/runs.js';

let t: TestAssay;
let openai: FakeLlmProvider;
let agent: FakeAgent;

beforeAll(async () => {
  t = await startTestAssay();
  openai = await startFakeOpenAI({ apiKey: 'sk-openai-test-key-000000000000' });
  agent = await startFakeAgent({ handler: () => ({ body: { reply: 'ok' } }) });
  expect((await t.req('PUT', '/api/providers/openai', { body: { apiKey: 'sk-openai-test-key-000000000000', baseUrl: openai.baseURL } })).status).toBe(200);
  const doc = {
    slug: 'asked', name: 'asked',
    dataset: { rows: [{ question: 'Capital of France?', tone: 'dry' }, { question: 'Capital of Peru?', tone: 'warm' }, { question: 'Capital of Chad?', tone: 'odd' }] },
    targets: [
      {
        id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', params: { temperature: 0, maxTokens: 40 },
        variables: { q: 'row.question' },
        messages: [{ role: 'system', content: 'Answer in a {{tone}} voice, in {{parameters.lang}}.' }, { role: 'user', content: '{{q}} ({{lang}})' }],
      },
      { id: 'upper', type: 'code', code: 'return row.question.toUpperCase()' },
    ],
  };
  expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
});
afterAll(async () => {
  await t.close();
  await openai.close();
  await agent.close();
});

const request = (runId: string, query: string) => t.req('GET', `/api/experiments/runs/${runId}/request?${query}`);

describe('the request behind a cell', () => {
  it("is the messages the provider received for that row, with the target's model, params and the run's parameters", async () => {
    const runId = await startRun(t, 'asked', { parameters: { lang: 'French' }, row_indices: [2, 0] });
    expect((await waitForRun(t, runId)).status).toBe('completed');
    const sent = openai.requests.map((r) => (r.body as { messages: { role: string; content: string }[] }).messages);
    for (const rowIndex of [0, 2]) {
      const res = await request(runId, `rowIndex=${rowIndex}&targetId=mini`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { messages: { role: string; content: string }[] };
      expect(body).toMatchObject({ runId, rowIndex, targetId: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', params: { temperature: 0, maxTokens: 40 } });
      // Exactly one of the calls the provider saw carried these messages.
      expect(sent.filter((m) => JSON.stringify(m) === JSON.stringify(body.messages))).toHaveLength(1);
    }
    const first = (await (await request(runId, 'rowIndex=0&targetId=mini')).json()) as { messages: unknown };
    expect(first.messages).toEqual([
      { role: 'system', content: 'Answer in a dry voice, in French.' },
      { role: 'user', content: 'Capital of France? (French)' },
    ]);

    // A row the run did not read, a target it does not have, a code target, a bad index.
    const notRead = await request(runId, 'rowIndex=1&targetId=mini');
    expect(notRead.status).toBe(404);
    expect(((await notRead.json()) as { message: string }).message).toBe('The run did not read row 1');
    const ghost = await request(runId, 'rowIndex=0&targetId=ghost');
    expect(ghost.status).toBe(404);
    expect(((await ghost.json()) as { message: string }).message).toBe('The run has no target "ghost"; its targets: mini, upper');
    const code = await request(runId, 'rowIndex=0&targetId=upper');
    expect(code.status).toBe(400);
    expect(((await code.json()) as { message: string }).message).toBe('Target "upper" is a code target: its request is the row and the run\'s parameters (GET …/rows); only prompt and HTTP targets\' requests are rebuilt');
    expect((await request(runId, 'rowIndex=-1&targetId=mini')).status).toBe(400);
    expect((await request(runId, 'targetId=mini')).status).toBe(400);
  });

  it('is read at the run\'s version of the experiment, not the latest', async () => {
    const runId = await startRun(t, 'asked', { parameters: { lang: 'Spanish' }, row_indices: [1] });
    await waitForRun(t, runId);
    const current = (await (await t.req('GET', '/api/experiments/asked')).json()) as { document: { targets: { messages?: { content: string }[] }[] } };
    const edited = structuredClone(current.document);
    edited.targets[0]!.messages![1]!.content = 'Changed: {{q}}';
    expect((await t.req('PUT', '/api/experiments/asked', { body: edited })).status).toBe(200);
    const body = (await (await request(runId, 'rowIndex=1&targetId=mini')).json()) as { messages: { content: string }[] };
    expect(body.messages[1]!.content).toBe('Capital of Peru? (Spanish)');
  });

  it("is an HTTP target's request as the agent received it, with the parts that read secrets shown as their templates", async () => {
    const TOKEN = 'tok-live-0123456789abcdef';
    expect((await t.req('PUT', '/api/secrets/AGENT_TOKEN', { body: { value: TOKEN } })).status).toBe(200);
    const doc = {
      slug: 'agent-asked', name: 'agent-asked',
      dataset: { rows: [{ question: 'Capital of France?', topic: 'geo' }, { question: 'Capital of Peru?', topic: 'geo/latam' }] },
      targets: [{
        id: 'bot', type: 'http', method: 'POST', url: `${agent.url}/chat/{{topic}}?lang={{parameters.lang}}`,
        headers: { 'X-Trace': 'row-{{topic}}', 'X-Key': 'k={{ secrets.AGENT_TOKEN | upcase }}' },
        auth: { type: 'bearer', token: '{{secrets.AGENT_TOKEN}}' },
        body: { message: '{{question}}', lang: '{{parameters.lang}}' },
      }],
      evaluators: [],
    };
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const runId = await startRun(t, 'agent-asked', { parameters: { lang: 'fr' } });
    expect((await waitForRun(t, runId)).status).toBe('completed');
    const res = await request(runId, 'rowIndex=1&targetId=bot');
    expect(res.status).toBe(200);
    const text = await res.text();
    // No form of the secret: the value, its upper case (a filter's), its base64.
    for (const form of [TOKEN, TOKEN.toUpperCase(), Buffer.from(TOKEN).toString('base64')]) expect(text).not.toContain(form);
    const body = JSON.parse(text) as { type: string; method: string; url: string; headers: Record<string, string>; body: string; unrendered: string[] };
    const received = agent.requests.find((r) => (r.body as { message?: string }).message === 'Capital of Peru?')!;
    expect(body.type).toBe('http');
    expect(body.method).toBe(received.method);
    expect(new URL(body.url).pathname + new URL(body.url).search).toBe(received.url);
    expect(body.body).toBe(received.text);
    for (const name of ['x-trace', 'content-type', 'accept', 'user-agent']) expect(body.headers[name], name).toBe(received.headers[name]);
    expect(received.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(body.headers.authorization).toBe('Bearer {{secrets.AGENT_TOKEN}}');
    expect(body.headers['x-key']).toBe('k={{ secrets.AGENT_TOKEN | upcase }}');
    expect(body.unrendered).toEqual(['headers.x-key', 'auth.token']);
  });
});
