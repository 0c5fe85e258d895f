// SPEC §6 keep-alive: a `: ping` comment line during silence, never a data frame.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../testing/fake-agent.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { agentExperiment, parseSse, waitForRun } from '../testing/runs.js';
import { AssayClient, type RetryNotice, StreamLostError } from '../client/index.js';

let t: TestAssay;
let agent: FakeAgent;
beforeAll(async () => {
  t = await startTestAssay({}, undefined, { pingMs: 200 });
  agent = await startFakeAgent({ latencyMs: 1200 });
});
afterAll(async () => {
  await t.close();
  await agent.close();
});

describe('SSE keep-alive', () => {
  it('sends `: ping` comments while a slow cell is in flight, and the data still parses', async () => {
    await t.req('POST', '/api/experiments', { body: agentExperiment('quiet', agent.url, 1) });
    const res = await t.req('POST', '/api/experiments/quiet/run', { headers: { accept: 'text/event-stream' } });
    const text = await res.text();
    const { events, comments } = parseSse(text);
    expect(comments.length).toBeGreaterThanOrEqual(4);
    // First, where the replay ends (the run had stored nothing but its start when the stream opened); then pings.
    expect(comments[0]).toMatch(/^: replay-to [01]$/);
    expect(new Set(comments.slice(1))).toEqual(new Set([': ping']));
    expect(events.map((e) => e.type)).toEqual(['execution_started', 'cell_started', 'target_result', 'evaluator_result', 'progress', 'done']);
    // No explicit Connection header: Node then sends its Keep-Alive timeout hint, so clients do
    // not reuse a connection the server is closing.
    expect(res.headers.get('connection')).toBeNull();
    expect((await waitForRun(t, (events[0] as { runId: string }).runId)).status).toBe('completed');
  });

  it('over a real socket: written straight to the Node response, same frames, pings and Keep-Alive hint', async () => {
    const server = await listen(t);
    try {
      const res = await fetch(`${server.url}/api/experiments/quiet/run`, { method: 'POST', headers: { 'x-auth-token': t.key, accept: 'text/event-stream' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      // Node's idle-timeout hint is only sent when no explicit Connection header was set.
      expect(res.headers.get('keep-alive')).toMatch(/timeout=\d+/);
      const { events, comments } = parseSse(await res.text());
      expect(comments.length).toBeGreaterThanOrEqual(3);
      expect(events.map((e) => e.type)).toEqual(['execution_started', 'cell_started', 'target_result', 'evaluator_result', 'progress', 'done']);
      const runId = (events[0] as { runId: string }).runId;
      // A late reader on the same socket path replays from storage after Last-Event-ID.
      const replay = await fetch(`${server.url}/api/experiments/runs/${runId}/events`, { headers: { 'x-auth-token': t.key, 'last-event-id': '2' } });
      expect(parseSse(await replay.text()).events.map((e) => e.type)).toEqual(['target_result', 'evaluator_result', 'progress', 'done']);
    } finally {
      await server.close();
    }
  });

  it('a stream with nothing to send after Last-Event-ID writes nothing: a client backs off and gives up, not reconnects at once for ever', async () => {
    // An ended run followed from its last event (a connection cut just after it, say): the
    // stream ends at once. Its replay mark alone made the client take each connection for a
    // healthy one and reconnect every 250 ms without end.
    const server = await listen(t);
    try {
      await t.req('POST', '/api/experiments', { body: agentExperiment('ended', agent.url, 1) });
      const { runId } = (await (await t.req('POST', '/api/experiments/ended/run')).json()) as { runId: string };
      await waitForRun(t, runId);
      const all = parseSse(await (await fetch(`${server.url}/api/experiments/runs/${runId}/events`, { headers: { 'x-auth-token': t.key } })).text());
      const last = all.ids.at(-1)!;
      expect(all.comments[0]).toBe(`: replay-to ${last}`);
      const after = await fetch(`${server.url}/api/experiments/runs/${runId}/events`, { headers: { 'x-auth-token': t.key, 'last-event-id': String(last) } });
      expect(await after.text()).toBe('');
      // The same without a Node response (Hono's web stream).
      expect(await (await t.req('GET', `/api/experiments/runs/${runId}/events`, { headers: { 'last-event-id': String(last) } })).text()).toBe('');

      const client = new AssayClient({ endpoint: server.url, apiKey: t.key });
      const stop = AbortSignal.timeout(10_000);
      const notices: RetryNotice[] = [];
      let connections = 0;
      const error = await (async () => {
        for await (const e of client.events(runId, { afterSeq: last, retryForMs: 1_000, signal: stop, onRetry: (n) => notices.push(n), onOpen: () => connections++ })) void e;
      })().catch((e: unknown) => e);
      expect(stop.aborted).toBe(false);
      expect(error).toBeInstanceOf(StreamLostError);
      // Backoff from 0.25 s, each wait at least the one before, one connection per wait (and the first).
      const delays = notices.map((n) => n.delayMs);
      expect(delays[0]).toBe(250);
      expect(delays).toEqual([...delays].sort((a, b) => a - b));
      expect(connections).toBe(notices.length + 1);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('streams of one run watched together, and one watched alone, carry the same frames', async () => {
    const server = await listen(t);
    try {
      await t.req('POST', '/api/experiments', { body: agentExperiment('pair', agent.url, 3) });
      const { runId } = (await (await t.req('POST', '/api/experiments/pair/run')).json()) as { runId: string };
      const watch = async () => {
        const res = await fetch(`${server.url}/api/experiments/runs/${runId}/events`, { headers: { 'x-auth-token': t.key } });
        return parseSse(await res.text());
      };
      // Two at once: frames are serialised once and shared between the streams.
      const [a, b] = await Promise.all([watch(), watch()]);
      // One alone, after the run: each frame serialised for this stream only.
      const alone = await watch();
      expect(a.events.at(-1)?.type).toBe('done');
      const committed = (s: ReturnType<typeof parseSse>) => s.events.filter((e) => e.seq !== undefined);
      // A stream that subscribed before a cell started got its cell_started live (no id) and
      // not its committed twin; one that subscribed after got the twin. Which one a stream
      // gets depends on when it connected (on a loaded machine, one of two streams opened
      // together once missed the run's first cells), so that event is compared as a set.
      const started = (s: ReturnType<typeof parseSse>) => new Set(s.events.filter((e) => e.type === 'cell_started').map((e) => JSON.stringify({ ...e, seq: undefined })));
      const others = (s: ReturnType<typeof parseSse>) => committed(s).filter((e) => e.type !== 'cell_started');
      expect(others(a)).toEqual(others(b));
      expect(started(a)).toEqual(started(b));
      // The stream alone, after the run, is storage's log: every event, committed, in order.
      expect(others(alone)).toEqual(others(a));
      expect(started(alone)).toEqual(started(a));
      expect(alone.ids).toEqual(Array.from({ length: alone.ids.length }, (_, i) => i + 1));
      for (const s of [a, b]) for (const e of committed(s)) expect(e).toEqual(alone.events[e.seq - 1]);
    } finally {
      await server.close();
    }
  });
});
