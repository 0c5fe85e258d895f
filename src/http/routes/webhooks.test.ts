// Webhooks through the HTTP API (docs/webhooks.md): the signing secret (made once, rotated), the
// delivery log per run (a stopped run delivers too; another project's run is not found), only
// http(s) URLs accepted, the network guard's refusal visible in the log, and a redelivery on request.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { listen, startTestAssay, type TestAssay } from '../../testing/harness.js';
import { type Receiver, startReceiver } from '../../testing/receiver.js';
import { agentExperiment, waitForRun } from '../../testing/runs.js';

let t: TestAssay;
let agent: FakeAgent;
let receiver: Receiver;

beforeAll(async () => {
  t = await startTestAssay();
  agent = await startFakeAgent();
  receiver = await startReceiver();
  expect((await t.req('POST', '/api/experiments', { body: agentExperiment('hooks', agent.url, 3) })).status).toBe(201);
});
afterAll(async () => {
  await t.close();
  await agent.close();
  await receiver.close();
});

type Log = { runId: string; deliveries: { id: string; status: string; attempts: number; log: { statusCode: number | null; error: string | null }[] }[] };

async function deliveries(tt: TestAssay, runId: string): Promise<Log> {
  for (let i = 0; i < 500; i++) {
    const log = (await (await tt.req('GET', `/api/experiments/runs/${runId}/webhooks`)).json()) as Log;
    if (log.deliveries.length > 0 && log.deliveries.every((d) => d.status !== 'pending')) return log;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('the delivery is still pending');
}

describe('webhooks over HTTP', () => {
  it('shows the signing secret once, and rotation replaces it for the deliveries that follow', async () => {
    const first = (await (await t.req('GET', '/api/webhooks/secret')).json()) as { secret: string; createdAt: number };
    expect(first.secret).toMatch(/^whsec_/);
    // Read once: a second read is refused and says how to get a new one.
    const again = await t.req('GET', '/api/webhooks/secret');
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'conflict', message: expect.stringMatching(/shown only once.*rotate/) });
    const rotated = (await (await t.req('POST', '/api/webhooks/secret')).json()) as { secret: string };
    expect(rotated.secret).not.toBe(first.secret);
    // The rotation's answer was its one showing.
    expect((await t.req('GET', '/api/webhooks/secret')).status).toBe(409);

    receiver.reset();
    const { runId } = (await (await t.req('POST', '/api/experiments/hooks/run', { body: { webhookUrl: `${receiver.url}/x` } })).json()) as { runId: string };
    await deliveries(t, runId);
    const [req] = receiver.requests;
    const sig = Object.fromEntries(String(req!.headers['assay-signature']).split(',').map((p) => p.split('=', 2)));
    expect(sig.v1).toBe(createHmac('sha256', rotated.secret).update(`${sig.t}.${req!.body}`).digest('hex'));
    // Another project has its own secret, and cannot read this project's delivery log.
    const other = await t.otherProject();
    const theirs = (await (await t.req('GET', '/api/webhooks/secret', { key: other.key })).json()) as { secret: string };
    expect(theirs.secret).not.toBe(rotated.secret);
    const res = await t.req('GET', `/api/experiments/runs/${runId}/webhooks`, { key: other.key });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'run_not_found', runId });
  });

  it('keeps the one read of the secret for a GET: a HEAD is refused and spends nothing', async () => {
    const fresh = await t.otherProject();
    const server = await listen(t);
    try {
      // Over a real socket, as a link checker or a proxy's probe would send it.
      const head = await fetch(`${server.url}/api/webhooks/secret`, { method: 'HEAD', headers: { 'x-auth-token': fresh.key } });
      expect(head.status).toBe(405);
      expect(head.headers.get('allow')).toBe('GET, POST');
      // Another method's 405 does not offer HEAD either.
      const patch = await fetch(`${server.url}/api/webhooks/secret`, { method: 'PATCH', headers: { 'x-auth-token': fresh.key } });
      expect(patch.status).toBe(405);
      expect(patch.headers.get('allow')).toBe('GET, POST');
      const get = await fetch(`${server.url}/api/webhooks/secret`, { headers: { 'x-auth-token': fresh.key } });
      expect(get.status).toBe(200);
      expect(((await get.json()) as { secret: string }).secret).toMatch(/^whsec_/);
    } finally {
      await server.close();
    }
  });

  it('delivers for a stopped run too, with its stop reason', async () => {
    agent.setBehaviour({ latencyMs: 200 });
    try {
      receiver.reset();
      const { runId } = (await (await t.req('POST', '/api/experiments/hooks/run', { body: { webhookUrl: receiver.url, concurrency: 1 } })).json()) as { runId: string };
      expect((await t.req('POST', `/api/experiments/runs/${runId}/abort`)).status).toBe(200);
      expect(await waitForRun(t, runId)).toMatchObject({ status: 'stopped' });
      const log = await deliveries(t, runId);
      expect(log.deliveries).toMatchObject([{ status: 'delivered', attempts: 1, log: [{ statusCode: 200, error: null }] }]);
      expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ runId, status: 'stopped', stopReason: 'user' });
    } finally {
      agent.setBehaviour({ latencyMs: 0 });
    }
  });

  it('lists nothing for a run without a webhookUrl', async () => {
    const { runId } = (await (await t.req('POST', '/api/experiments/hooks/run')).json()) as { runId: string };
    await waitForRun(t, runId);
    expect(await (await t.req('GET', `/api/experiments/runs/${runId}/webhooks`)).json()).toEqual({ runId, deliveries: [] });
  });

  it("calls the experiment's webhooks on the events they ask for, besides the run's webhookUrl", async () => {
    receiver.reset();
    const body = {
      ...agentExperiment('team-hooks', agent.url, 2),
      webhooks: [{ url: `${receiver.url}/ends` }, { url: `${receiver.url}/starts`, events: ['started'] }, { url: `${receiver.url}/failures`, events: ['failed'] }],
    };
    expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
    const { runId } = (await (await t.req('POST', '/api/experiments/team-hooks/run', { body: { webhookUrl: `${receiver.url}/mine` } })).json()) as { runId: string };
    expect(await waitForRun(t, runId)).toMatchObject({ status: 'completed' });
    for (let i = 0; i < 500 && receiver.requests.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    const got = receiver.requests.map((r) => [r.path, JSON.parse(r.body).event, JSON.parse(r.body).status]).sort();
    // Completed: the default (ending) webhook and the run's own; the start one at the start; the failures one never.
    expect(got).toEqual([['/ends', 'run.finished', 'completed'], ['/mine', 'run.finished', 'completed'], ['/starts', 'run.started', 'running']]);
    const log = await deliveries(t, runId);
    expect(log.deliveries.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });

  it('refuses experiment webhooks that are not http(s) or name unknown events', async () => {
    for (const webhooks of [[{ url: 'ftp://x.test/h' }], [{ url: 'https://x.test/h', events: ['exploded'] }], [{ url: 'https://x.test/h', extra: 1 }]]) {
      const res = await t.req('POST', '/api/experiments', { body: { ...agentExperiment('bad-hooks', agent.url, 1), webhooks } });
      expect(res.status, JSON.stringify(webhooks)).toBe(400);
      expect(await res.json()).toMatchObject({ issues: [{ path: expect.arrayContaining(['webhooks', 0]) }] });
    }
  });

  it('accepts only http and https webhook URLs', async () => {
    for (const webhookUrl of ['ftp://example.com/hook', 'javascript:alert(1)', 'file:///etc/passwd', 'not a url']) {
      const res = await t.req('POST', '/api/experiments/hooks/run', { body: { webhookUrl } });
      expect(res.status, webhookUrl).toBe(400);
      expect(await res.json(), webhookUrl).toMatchObject({ issues: [{ path: ['webhookUrl'] }] });
    }
  });
});

describe('webhooks with private networks not allowed', () => {
  it('refuses a loopback webhook URL, and the refusal is the attempt in the log', async () => {
    const guarded = await startTestAssay({ httpTargetsAllowPrivate: false });
    try {
      receiver.reset();
      // The experiment's target is on loopback too, so the run fails; it still ends, and owes its webhook.
      await guarded.req('POST', '/api/experiments', { body: agentExperiment('guarded', agent.url, 1) });
      const { runId } = (await (await guarded.req('POST', '/api/experiments/guarded/run', { body: { webhookUrl: `${receiver.url}/hook` } })).json()) as { runId: string };
      expect(await waitForRun(guarded, runId)).toMatchObject({ status: 'failed' });
      const log = await deliveries(guarded, runId);
      expect(log.deliveries).toMatchObject([{ status: 'failed', attempts: 1, log: [{ statusCode: null }] }]);
      expect(log.deliveries[0]!.log[0]!.error).toBe(`refused to call ${receiver.url}: it is a loopback address; private networks are not allowed`);
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });

  it('redelivers a failed delivery on request and answers it with the new attempt; refuses unknown ids and other projects', async () => {
    receiver.reset();
    let up = false;
    receiver.answer = () => (up ? { status: 204, body: '' } : { status: 404, body: 'no such route yet' });
    const { runId } = (await (await t.req('POST', '/api/experiments/hooks/run', { body: { webhookUrl: `${receiver.url}/late` } })).json()) as { runId: string };
    await waitForRun(t, runId);
    const [failed] = (await deliveries(t, runId)).deliveries;
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    up = true;
    const res = await t.req('POST', `/api/experiments/runs/${runId}/webhooks/${failed!.id}/redeliver`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: failed!.id, status: 'delivered', attempts: 2, log: [{ statusCode: 404 }, { statusCode: 204, error: null }] });
    expect(receiver.requests.map((r) => r.headers['assay-delivery'])).toEqual([failed!.id, failed!.id]);

    const unknown = await t.req('POST', `/api/experiments/runs/${runId}/webhooks/whd_nope/redeliver`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toBe(`Run ${runId} has no webhook delivery whd_nope; GET …/runs/${runId}/webhooks lists its deliveries`);
    const other = await t.otherProject();
    const foreign = await t.req('POST', `/api/experiments/runs/${runId}/webhooks/${failed!.id}/redeliver`, { key: other.key });
    expect(foreign.status).toBe(404);
    expect(((await foreign.json()) as { message: string }).message).toBe(`Run not found: ${runId}`);
    expect(receiver.requests).toHaveLength(2);
  });
});
