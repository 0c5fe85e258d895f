// Issue 4: no secret value and no provider key appears in any response, SSE event, stored
// result, export or log line of a run that used them, even when the agent echoes them back
// and when calls fail with the key in the error.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../src/testing/fake-agent.js';
import { startFakeOpenAI } from '../src/testing/fake-openai.js';
import type { FakeLlmProvider } from '../src/testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';
import { startRun, waitForRun } from '../src/testing/runs.js';

const BOT_TOKEN = 'bot-token-7f3a9c2e1d5b8a6f4c0e';
const PROVIDER_KEY = 'sk-provider-key-5e8d2c9b1a7f3e6d';
const WRONG_KEY = 'sk-wrong-provider-key-0a9b8c7d6e';

let t: TestAssay;
let agent: FakeAgent;
let openai: FakeLlmProvider;
const logLines: string[] = [];
const seen: string[] = [];

async function req(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await t.req(method, p, { ...(body !== undefined ? { body } : {}), headers });
  const text = await res.text();
  seen.push(`${method} ${p} → ${res.status}: ${text}`);
  return text;
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await startTestAssay({ logLevel: 'debug' }, undefined, { logger: pino({ level: 'debug' }, sink) });
  // The agent answers with everything it received, Authorization header included.
  agent = await startFakeAgent({ handler: (r) => ({ status: 200, body: { reply: `echo ${JSON.stringify(r.headers)} ${r.text} ${r.url}` } }) });
  openai = await startFakeOpenAI({ apiKey: PROVIDER_KEY, respond: (r) => (r.schema ? undefined : `I saw: ${JSON.stringify(r.body)}`) });
  await req('PUT', '/api/secrets/BOT_TOKEN', { value: BOT_TOKEN });
  await req('PUT', '/api/providers/openai', { apiKey: PROVIDER_KEY, baseUrl: openai.baseURL });
  await req('POST', '/api/experiments', {
    slug: 'leaky', name: 'leaky',
    dataset: { rows: [{ question: 'q1' }, { question: 'q2' }] },
    targets: [
      { id: 'bot', type: 'http', url: `${agent.url}/chat?token={{secrets.BOT_TOKEN}}`, headers: { Authorization: 'Bearer {{secrets.BOT_TOKEN}}' }, body: { message: '{{question}}' }, outputPath: '$.reply' },
      { id: 'model', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] },
      { id: 'down', type: 'http', url: 'http://127.0.0.1:9/x?token={{secrets.BOT_TOKEN}}', auth: { type: 'basic', username: 'u', password: '{{secrets.BOT_TOKEN}}' } },
    ],
    evaluators: [{ id: 'judge', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-4o-mini' } }],
    execution: { maxRetries: 1 },
  });
});
afterAll(async () => {
  await t.close();
  await agent.close();
  await openai.close();
});

describe('secret and key redaction', () => {
  it('keeps the secret and the provider key out of everything a run produces', async () => {
    const sse = await req('POST', '/api/experiments/leaky/run', undefined, { accept: 'text/event-stream' });
    const runId = /"runId":"(run_[^"]+)"/.exec(sse)![1]!;
    await waitForRun(t, runId);
    // The agent really received the secret: the test would prove nothing otherwise.
    expect(agent.requests.some((r) => JSON.stringify(r.headers).includes(BOT_TOKEN))).toBe(true);

    // A run whose provider key is wrong: errors must not quote it either.
    await req('PUT', '/api/providers/openai', { apiKey: WRONG_KEY });
    const failedRun = await startRun(t, 'leaky');
    await waitForRun(t, failedRun);
    await req('PUT', '/api/providers/openai', { apiKey: PROVIDER_KEY });

    for (const id of [runId, failedRun]) {
      await req('GET', `/api/experiments/runs/${id}`);
      await req('GET', `/api/experiments/runs/${id}/results`);
      await req('GET', `/api/evaluations/v3/runs/${id}/results`);
      await req('GET', `/api/experiments/runs/${id}/events`);
      for (const format of ['jsonl', 'csv', 'junit']) await req('GET', `/api/experiments/runs/${id}/export?format=${format}`);
    }
    await req('GET', '/api/experiments/runs?experimentSlug=leaky');
    await req('GET', '/api/experiments/leaky');
    await req('GET', '/api/providers');
    await req('GET', '/api/secrets');

    const results = JSON.parse(seen.find((s) => s.includes('/results →'))!.split(': ').slice(1).join(': ')) as { dataset: { targetId: string; predicted?: { output: string }; error: string | null }[] };
    expect(results.dataset.find((d) => d.targetId === 'bot')!.predicted!.output).toContain('[redacted]');
    expect(results.dataset.find((d) => d.targetId === 'down')!.error).toBeTruthy();

    const db = readdirSync(t.config.dataDir).filter((f) => f.startsWith('assay.db')).map((f) => readFileSync(path.join(t.config.dataDir, f)).toString('latin1'));
    const haystacks: [string, string][] = [
      ...seen.map((s, i) => [`response ${i}: ${s.slice(0, 80)}`, s] as [string, string]),
      ...logLines.map((l, i) => [`log line ${i}`, l] as [string, string]),
      ...db.map((d, i) => [`database file ${i}`, d] as [string, string]),
    ];
    expect(logLines.length).toBeGreaterThan(0);
    for (const needle of [BOT_TOKEN, PROVIDER_KEY, WRONG_KEY, Buffer.from(`u:${BOT_TOKEN}`).toString('base64'), encodeURIComponent(BOT_TOKEN)]) {
      for (const [where, text] of haystacks) expect(text.includes(needle), `${needle} found in ${where}`).toBe(false);
    }
  }, 60_000);
});
