// A page of events goes out in writes of at most WRITE_CHARS past their first frame, so a page
// of megabyte outputs is framed and written a turn at a time (src/http/sse.ts), while a page of
// small events is still one write. Over a socket, such a stream arrives whole.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/events.js';
import { listen, startTestAssay, type TestAssay } from '../testing/harness.js';
import { parseSse, waitForRun } from '../testing/runs.js';
import { chunksOf, WRITE_CHARS } from './sse-frames.js';

const progress = (seq: number, note = ''): RunEvent => ({ type: 'progress', seq, runId: `r${note}`, progress: seq, total: 10, timestamp: 1 }) as unknown as RunEvent;

describe('the writes of a page of events', () => {
  it('a page of small events is one write, with every frame in order', () => {
    const events = Array.from({ length: 200 }, (_, i) => progress(i + 1));
    const chunks = [...chunksOf({ kind: 'events', events })];
    expect(chunks).toHaveLength(1);
    expect(parseSse(chunks[0]!).ids).toEqual(events.map((e) => e.seq));
  });

  it('a page of large events is cut into writes of at most WRITE_CHARS past their first frame', () => {
    const big = 'x'.repeat(100_000);
    const events = Array.from({ length: 12 }, (_, i) => progress(i + 1, big));
    const chunks = [...chunksOf({ kind: 'events', events })];
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of chunks) {
      const frames = c.split('\n\n').filter(Boolean);
      // A write goes past the bound only by being a single frame larger than it.
      if (frames.length > 1) expect(c.length).toBeLessThanOrEqual(WRITE_CHARS);
    }
    expect(parseSse(chunks.join('')).events).toEqual(events);
  });

  it('an event larger than the bound is one write of its own', () => {
    const events = [progress(1), progress(2, 'y'.repeat(WRITE_CHARS * 2)), progress(3)];
    const chunks = [...chunksOf({ kind: 'events', events })];
    expect(chunks.map((c) => parseSse(c).ids)).toEqual([[1], [2], [3]]);
  });

  it('live events are grouped the same way, without ids', () => {
    const live = Array.from({ length: 3 }, (_, i) => ({ type: 'cell_started', runId: 'r', cell: i, note: 'z'.repeat(200_000) }));
    const chunks = [...chunksOf({ kind: 'live', events: live as never })];
    expect(chunks).toHaveLength(3);
    expect(chunks.join('')).not.toMatch(/^id:/m);
    expect(parseSse(chunks.join('')).events).toEqual(live);
  });
});

describe('a stream of megabyte outputs over a socket', () => {
  let t: TestAssay;
  beforeAll(async () => {
    t = await startTestAssay();
  });
  afterAll(async () => {
    await t.close();
  });

  it('arrives whole, live and replayed from storage', async () => {
    const server = await listen(t);
    try {
      const rows = Array.from({ length: 6 }, (_, i) => ({ q: `row-${i}` }));
      const body = {
        slug: 'wide', name: 'wide', dataset: { rows },
        targets: [{ id: 'big', type: 'code', code: `return row.q + ':' + 'w'.repeat(1500000)` }],
        execution: { concurrency: 3 },
      };
      expect((await t.req('POST', '/api/experiments', { body })).status).toBe(201);
      const res = await fetch(`${server.url}/api/experiments/wide/run`, { method: 'POST', headers: { 'x-auth-token': t.key, accept: 'text/event-stream' } });
      const live = parseSse(await res.text()).events;
      const outputs = (events: RunEvent[]) => events.filter((e) => e.type === 'target_result').map((e) => (e as { output?: unknown }).output).sort();
      const expected = rows.map((r) => `${r.q}:${'w'.repeat(1_500_000)}`).sort();
      expect(outputs(live)).toEqual(expected);
      const runId = (live[0] as { runId: string }).runId;
      expect((await waitForRun(t, runId)).status).toBe('completed');
      const replay = await fetch(`${server.url}/api/experiments/runs/${runId}/events`, { headers: { 'x-auth-token': t.key } });
      const replayed = parseSse(await replay.text());
      expect(outputs(replayed.events)).toEqual(expected);
      expect(replayed.ids).toEqual([...replayed.ids].sort((a, b) => a - b));
      expect(replayed.events.at(-1)?.type).toBe('done');
    } finally {
      await server.close();
    }
  });
});
