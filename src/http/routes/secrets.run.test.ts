// End to end: a run's HTTP target reads `{{secrets.NAME}}` from the project's stored secrets
// (over ASSAY_SECRET_<NAME>), the agent receives the real value, and an agent that echoes it
// back shows `[redacted]` in results, events and every export, never the secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../core/ports.js';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { agentExperiment, parseSse, startRun, waitForRun } from '../../testing/runs.js';

const STORED = 'stored-secret-7d41c0a9e8b2f635';
const ENV = 'env-secret-51c9a0b2d3e4f768';

let t: TestAssay;
let agent: FakeAgent;
/** Every log line the server wrote, as JSON text. */
const logged: string[] = [];
const capture: Logger = {
  debug: (o, m) => void logged.push(JSON.stringify([o, m])),
  info: (o, m) => void logged.push(JSON.stringify([o, m])),
  warn: (o, m) => void logged.push(JSON.stringify([o, m])),
  error: (o, m) => void logged.push(JSON.stringify([o, m])),
  child: () => capture,
};

beforeAll(async () => {
  t = await startTestAssay({ envSecrets: { BOT_TOKEN: ENV } }, undefined, { logger: capture });
  agent = await startFakeAgent({
    handler: (req) => ({ body: { reply: `you sent ${String(req.headers.authorization)}`, header: req.headers.authorization ?? null } }),
  });
  const doc = agentExperiment('secret-agent', agent.url, 3, {
    targets: [{ id: 'agent', type: 'http', url: `${agent.url}/chat`, headers: { Authorization: 'Bearer {{secrets.BOT_TOKEN}}' }, body: { message: '{{question}}' } }],
    evaluators: [],
  });
  const res = await t.req('POST', '/api/experiments', { body: doc });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await t.close();
  await agent.close();
  for (const line of logged) {
    expect(line).not.toContain(STORED);
    expect(line).not.toContain(ENV);
  }
});

/** Changes the first character of the authentication tag (always fully significant in base64url). */
function tamperTag(sealed: string): string {
  const parts = sealed.split('.');
  parts[2] = (parts[2]![0] === 'A' ? 'B' : 'A') + parts[2]!.slice(1);
  return parts.join('.');
}

/** Runs the experiment; returns what the agent received and everything the API shows of the run. */
async function run(key = t.key) {
  const before = agent.requests.length;
  const runId = await startRun({ ...t, req: (m, p, init = {}) => t.req(m, p, { key, ...init }) }, 'secret-agent');
  const done = await waitForRun({ ...t, req: (m, p, init = {}) => t.req(m, p, { key, ...init }) }, runId);
  const get = async (path: string) => (await t.req('GET', `/api/experiments/runs/${runId}${path}`, { key })).text();
  const shown = {
    run: JSON.stringify(done),
    results: await get('/results'),
    events: await get('/events'),
    jsonl: await get('/export?format=jsonl'),
    csv: await get('/export?format=csv'),
    junit: await get('/export?format=junit'),
  };
  return { done, received: agent.requests.slice(before).map((r) => r.headers.authorization), shown };
}

describe('runs with stored secrets', () => {
  it('uses the environment value until the project stores one, then the stored one', async () => {
    const first = await run();
    expect(first.done.status).toBe('completed');
    expect(first.received).toEqual([`Bearer ${ENV}`, `Bearer ${ENV}`, `Bearer ${ENV}`]);

    expect((await t.req('PUT', '/api/secrets/BOT_TOKEN', { body: { value: STORED } })).status).toBe(200);
    const second = await run();
    expect(second.done.status).toBe('completed');
    expect(second.received).toEqual([`Bearer ${STORED}`, `Bearer ${STORED}`, `Bearer ${STORED}`]);

    for (const { shown } of [first, second]) {
      for (const [where, text] of Object.entries(shown)) {
        expect(text, where).not.toContain(STORED);
        expect(text, where).not.toContain(ENV);
      }
      // The echo is there, redacted.
      expect(shown.results).toContain('you sent Bearer [redacted]');
      expect(parseSse(shown.events).events.filter((e) => e.type === 'target_result').map((e) => JSON.stringify(e))).toEqual(
        expect.arrayContaining([expect.stringContaining('you sent Bearer [redacted]')]),
      );
      expect(shown.jsonl).toContain('[redacted]');
      expect(shown.csv).toContain('[redacted]');
    }

    expect((await t.req('DELETE', '/api/secrets/BOT_TOKEN')).status).toBe(204);
    expect((await run()).received).toEqual([`Bearer ${ENV}`, `Bearer ${ENV}`, `Bearer ${ENV}`]);
  });

  it('never lends one project\'s secret to another', async () => {
    const other = await t.otherProject();
    await t.req('PUT', '/api/secrets/PROJECT_ONLY', { body: { value: STORED } });
    const doc = agentExperiment('secret-agent', agent.url, 1, {
      targets: [{ id: 'agent', type: 'http', url: `${agent.url}/chat`, headers: { 'X-Token': '{{secrets.PROJECT_ONLY}}' }, body: { message: '{{question}}' } }],
      evaluators: [],
    });
    expect((await t.req('POST', '/api/experiments', { key: other.key, body: doc })).status).toBe(201);
    const before = agent.calls;
    // Refused at the start, before any cell: the other project has no such secret, and the
    // message says what to set without saying whether anyone else has one.
    const started = await t.req('POST', '/api/experiments/secret-agent/run', { key: other.key });
    expect(started.status).toBe(400);
    const body = (await started.json()) as { message: string };
    expect(body.message).toBe('A secret is not set in this project: target "agent" reads {{secrets.PROJECT_ONLY}}. Set it with PUT /api/secrets/PROJECT_ONLY {"value": "…"}, then start the run again');
    expect(JSON.stringify(body)).not.toContain(STORED);
    const estimate = await t.req('POST', '/api/experiments/secret-agent/estimate', { key: other.key });
    expect(estimate.status).toBe(400);
    expect(((await estimate.json()) as { message: string }).message).toContain('{{secrets.PROJECT_ONLY}}');
    expect(((await (await t.req('GET', '/api/experiments/runs?experimentSlug=secret-agent', { key: other.key })).json()) as { runs: unknown[] }).runs).toEqual([]);
    expect(agent.calls).toBe(before);
  });

  it('refuses at save a secret name that no secret can have, naming the one meant', async () => {
    const doc = agentExperiment('lower-secret', agent.url, 1, {
      targets: [{ id: 'agent', type: 'http', url: `${agent.url}/chat`, headers: { 'X-Token': '{{ secrets.agent_token }}' }, body: { message: '{{question}}' } }],
      evaluators: [],
    });
    const res = await t.req('POST', '/api/experiments', { body: doc });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { issues: { path: unknown[]; message: string }[] };
    expect(body.issues).toContainEqual({ path: ['targets', 0], message: '{{secrets.agent_token}} can never be set: secret names are upper-case letters, digits and _ (^[A-Z_][A-Z0-9_]{0,127}$): did you mean {{secrets.AGENT_TOKEN}}?' });
  });

  it('refuses a start naming every missing secret of the selected targets, and runs once they are set', async () => {
    const doc = agentExperiment('two-secrets', agent.url, 1, {
      targets: [
        { id: 'a', type: 'http', url: `${agent.url}/chat`, headers: { 'X-One': '{{secrets.ONE_TOKEN}}', 'X-Two': '{{ secrets.TWO_TOKEN }}' }, body: { message: '{{question}}' } },
        { id: 'b', type: 'http', url: `${agent.url}/chat`, auth: { type: 'bearer', token: '{{secrets.THREE_TOKEN}}' }, body: { message: '{{question}}' } },
      ],
      evaluators: [],
    });
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const before = agent.calls;
    const refused = await t.req('POST', '/api/experiments/two-secrets/run');
    expect(refused.status).toBe(400);
    const body = (await refused.json()) as { message: string; issues?: { path: unknown[]; message: string }[] };
    expect(body.message).toBe('Secrets are not set in this project: target "a" reads {{secrets.ONE_TOKEN}}, {{secrets.TWO_TOKEN}}; target "b" reads {{secrets.THREE_TOKEN}}. Set them with PUT /api/secrets/ONE_TOKEN, PUT /api/secrets/TWO_TOKEN, PUT /api/secrets/THREE_TOKEN {"value": "…"}, then start the run again');
    // Only the targets the run selects are checked.
    expect((await t.req('PUT', '/api/secrets/THREE_TOKEN', { body: { value: 'three' } })).status).toBe(200);
    const onlyB = await t.req('POST', '/api/experiments/two-secrets/run', { body: { targets: ['b'] } });
    expect(onlyB.status, await onlyB.clone().text()).toBe(200);
    await waitForRun(t, ((await onlyB.json()) as { runId: string }).runId);
    expect(agent.calls).toBe(before + 1);
    const stillA = await t.req('POST', '/api/experiments/two-secrets/run', { body: { targets: ['a'] } });
    expect(((await stillA.json()) as { message: string }).message).toContain('target "a" reads {{secrets.ONE_TOKEN}}, {{secrets.TWO_TOKEN}}.');
  });

  it('logs a stored secret that no longer decrypts by name only, and the run uses the environment value', async () => {
    await t.req('PUT', '/api/secrets/BOT_TOKEN', { body: { value: STORED } });
    const sealed = (await t.assay.stores.secrets.get(t.projectId, 'BOT_TOKEN'))!.sealedValue;
    // Sealed for this row but stored under another name: it must not open there.
    await t.assay.stores.secrets.put(t.projectId, 'BOT_TOKEN_COPY', sealed, Date.now());
    await t.assay.stores.secrets.put(t.projectId, 'BOT_TOKEN', tamperTag(sealed), Date.now());
    const { done, received } = await run();
    expect(done.status).toBe('completed');
    expect(received).toEqual([`Bearer ${ENV}`, `Bearer ${ENV}`, `Bearer ${ENV}`]);
    const warnings = logged.filter((l) => l.includes('cannot be decrypted'));
    expect(warnings.some((l) => l.includes('"BOT_TOKEN"'))).toBe(true);
    expect(warnings.some((l) => l.includes('"BOT_TOKEN_COPY"'))).toBe(true);
    await t.req('DELETE', '/api/secrets/BOT_TOKEN');
    await t.req('DELETE', '/api/secrets/BOT_TOKEN_COPY');
  });
});
