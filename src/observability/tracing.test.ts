// Traces as an operator's collector receives them: a real OTLP/HTTP receiver on loopback, the
// OpenTelemetry Node SDK configured by the standard variables, and a real run with a prompt
// target (fake OpenAI), an HTTP target (fake agent), a code evaluator and an LLM judge. One
// trace per run: run → cell → target call / evaluator (→ model call), GenAI attributes on
// model calls, the agent receiving its call's traceparent, no content unless asked, and the
// run's log lines carrying the trace id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '../testing/capture-logger.js';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { startFakeOpenAI } from '../testing/fake-openai.js';
import type { FakeLlmProvider } from '../testing/fake-provider-core.js';
import { startTestAssay, type TestAssay } from '../testing/harness.js';
import { type ReceivedSpan, startOtlpReceiver, type OtlpReceiver } from '../testing/otlp-receiver.js';
import { startRun, waitForRun } from '../testing/runs.js';

const OPENAI_KEY = 'sk-openai-tracing-test-0000000000';
const SECRET = 'S3CRET-tracing-value-0099';
const MARKER = 'row-marker-tr4c3';

let receiver: OtlpReceiver;
let openai: FakeLlmProvider;
let agent: FakeAgent;
let t: TestAssay;
const logger = capturingLogger();
const lines = logger.lines;

function experiment(slug: string) {
  return {
    slug, name: slug,
    dataset: { rows: [{ question: `${MARKER} France?`, expected: 'x' }, { question: `${MARKER} Peru?`, expected: 'y' }] },
    targets: [
      { id: 'mini', type: 'prompt', model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] },
      { id: 'bot', type: 'http', url: `${agent.url}/chat`, headers: { authorization: 'Bearer {{secrets.BOT_TOKEN}}' }, body: { message: '{{question}}' }, outputPath: '$.reply' },
    ],
    evaluators: [
      { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'judge', type: 'langevals/llm_boolean', settings: { model: 'openai/gpt-4o-mini' } },
    ],
    execution: { maxRetries: 0 },
  };
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  // The SDK reads these itself, as it would from an operator's environment.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  process.env.OTEL_SERVICE_NAME = 'assay-under-test';
  openai = await startFakeOpenAI({ apiKey: OPENAI_KEY });
  agent = await startFakeAgent();
  t = await startTestAssay({ tracing: { enabled: true, content: false }, envSecrets: { BOT_TOKEN: SECRET } }, undefined, { logger });
  expect((await t.req('PUT', '/api/providers/openai', { body: { apiKey: OPENAI_KEY, baseUrl: openai.baseURL } })).status).toBe(200);
});
afterAll(async () => {
  await t?.close();
  await openai?.close();
  await agent?.close();
  await receiver?.close();
  for (const name of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_SERVICE_NAME']) delete process.env[name];
});

/** Runs an experiment to its end and returns the spans of its trace. */
async function tracedRun(assay: TestAssay, slug: string): Promise<{ runId: string; root: ReceivedSpan; spans: ReceivedSpan[] }> {
  expect((await assay.req('POST', '/api/experiments', { body: experiment(slug) })).status).toBe(201);
  const runId = await startRun(assay, slug);
  expect((await waitForRun(assay, runId)).status).toBe('completed');
  await assay.assay.tracing!.flush();
  const roots = receiver.spans.filter((s) => s.name === 'assay.run' && s.attributes['assay.run.id'] === runId);
  expect(roots).toHaveLength(1);
  const root = roots[0]!;
  return { runId, root, spans: receiver.spans.filter((s) => s.traceId === root.traceId) };
}

describe('a run exported as a trace', () => {
  let runId: string;
  let root: ReceivedSpan;
  let spans: ReceivedSpan[];
  const children = (parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

  beforeAll(async () => {
    ({ runId, root, spans } = await tracedRun(t, 'traced'));
  });

  it('has one root span for the run, with a span per cell under it', () => {
    expect(root.parentSpanId).toBe('');
    expect(root.service).toBe('assay-under-test');
    expect(root.attributes['assay.project.id']).toBe(t.projectId);
    expect(root.attributes['assay.run.status']).toBe('completed');
    const cells = children(root);
    expect(cells.map((c) => c.name)).toEqual(Array(4).fill('assay.cell'));
    expect(new Set(cells.map((c) => `${c.attributes['assay.cell.row_index']}/${c.attributes['assay.cell.target_id']}`))).toEqual(new Set(['0/mini', '0/bot', '1/mini', '1/bot']));
  });

  it('puts the target call and each evaluator under their cell, and the judge\'s model call under its evaluator', () => {
    for (const cell of children(root)) {
      const names = children(cell).map((s) => s.name).sort();
      const target = cell.attributes['assay.cell.target_id'] === 'mini' ? 'chat gpt-4o-mini' : 'POST';
      expect(names).toEqual([target, 'evaluate exact_match', 'evaluate llm_boolean'].sort());
      const judge = children(cell).find((s) => s.name === 'evaluate llm_boolean')!;
      expect(children(judge).map((s) => s.name)).toEqual(['chat gpt-4o-mini']);
    }
  });

  it('carries the GenAI semantic-convention attributes and the cost on prompt targets and judges\' model calls, once per call', () => {
    const promptCell = children(root).find((c) => c.attributes['assay.cell.target_id'] === 'mini')!;
    const target = children(promptCell).find((s) => s.name === 'chat gpt-4o-mini')!;
    // The target's span is its model call: no second span to count its tokens and cost twice.
    expect(children(target)).toEqual([]);
    const judgeCall = children(children(promptCell).find((s) => s.name === 'evaluate llm_boolean')!)[0]!;
    for (const span of [target, judgeCall]) {
      expect(span.kind).toBe(3);
      expect(span.attributes['gen_ai.operation.name']).toBe('chat');
      expect(span.attributes['gen_ai.system']).toBe('openai');
      expect(span.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
      expect(span.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
      expect(span.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
      expect(span.attributes['gen_ai.usage.cost']).toBeGreaterThan(0);
    }
    // Two prompt cells, two judged cells per target: six model calls, six GenAI spans.
    expect(spans.filter((s) => s.attributes['gen_ai.usage.input_tokens'] !== undefined)).toHaveLength(6);
  });

  it('sends the HTTP target span\'s traceparent to the agent', () => {
    const httpSpans = children(root).flatMap((cell) => children(cell).filter((s) => s.name === 'POST'));
    expect(httpSpans).toHaveLength(2);
    const received = agent.requests.map((r) => r.headers.traceparent).filter((h): h is string => typeof h === 'string');
    for (const span of httpSpans) {
      expect(span.kind).toBe(3);
      expect(span.attributes['server.address']).toBe('127.0.0.1');
      expect(received).toContain(`00-${root.traceId}-${span.spanId}-01`);
    }
  });

  it('attaches no prompts, rows, outputs or secrets when ASSAY_TRACE_CONTENT is off', () => {
    const everything = receiver.bodies.join('\n');
    expect(everything).not.toContain(MARKER);
    expect(everything).not.toContain(SECRET);
    expect(spans.some((s) => 'gen_ai.input.messages' in s.attributes || 'assay.output' in s.attributes)).toBe(false);
  });

  it('logs the run\'s start and end with its run id, project id and trace id', () => {
    const mine = lines.filter((l) => l.obj.runId === runId);
    const started = mine.find((l) => l.msg === 'run started');
    const ended = mine.find((l) => l.msg === 'run ended');
    expect(started?.obj).toMatchObject({ runId, projectId: t.projectId, traceId: root.traceId, total: 4 });
    expect(ended?.obj).toMatchObject({ runId, projectId: t.projectId, traceId: root.traceId, status: 'completed', cellsCommitted: 4 });
  });
});

describe('ASSAY_TRACE_CONTENT=true', () => {
  it('puts the prompt and the output on the spans, but never the secret', async () => {
    const withContent = await startTestAssay({ tracing: { enabled: true, content: true }, envSecrets: { BOT_TOKEN: SECRET } });
    try {
      expect((await withContent.req('PUT', '/api/providers/openai', { body: { apiKey: OPENAI_KEY, baseUrl: openai.baseURL } })).status).toBe(200);
      const { spans } = await tracedRun(withContent, 'traced-content');
      const model = spans.find((s) => s.name === 'chat gpt-4o-mini' && typeof s.attributes['gen_ai.input.messages'] === 'string');
      expect(String(model?.attributes['gen_ai.input.messages'])).toContain(MARKER);
      const httpTarget = spans.find((s) => s.name === 'POST');
      expect(String(httpTarget?.attributes['assay.output'])).toContain(MARKER);
      expect(receiver.bodies.join('\n')).not.toContain(SECRET);
    } finally {
      await withContent.close();
    }
  });
});
