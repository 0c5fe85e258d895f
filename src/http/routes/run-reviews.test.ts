// Reviews through the HTTP API (SPEC §5, docs/reviews.md), on a real run against the fake agent:
// a review changes the summary's reviewedPassRate and shows in the exports while the evaluators'
// results and figures stay exactly as they were; the same key replaces a review; bad bodies get
// precise 400s and things that do not exist (or belong to another project) 404s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTurnBudget, TURN_BUDGET_MS } from '../../core/turns.js';
import { startFakeAgent, type FakeAgent } from '../../testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../testing/harness.js';
import { agentExperiment, poll, startRun, waitForRun } from '../../testing/runs.js';
import { turnsDuring } from '../../testing/turns.js';

let t: TestAssay;
let agent: FakeAgent;
let runId: string;

// The agent echoes the question: rows 0 and 2 pass exact_match, row 1 fails.
const rows = [{ question: 'a', expected: 'a' }, { question: 'b', expected: 'x' }, { question: 'c', expected: 'c' }];

beforeAll(async () => {
  t = await startTestAssay();
  agent = await startFakeAgent();
  const res = await t.req('POST', '/api/experiments', { body: { ...agentExperiment('reviewed', agent.url, 3), dataset: { rows } } });
  expect(res.status).toBe(201);
  runId = await startRun(t, 'reviewed');
  await waitForRun(t, runId);
});
afterAll(async () => {
  await t.close();
  await agent.close();
});

const put = (body: unknown, opts: { key?: string; prefix?: string; id?: string } = {}) =>
  t.req('PUT', `${opts.prefix ?? '/api/experiments'}/runs/${opts.id ?? runId}/reviews`, { body, ...(opts.key ? { key: opts.key } : {}) });

describe('reviews', () => {
  it('a review changes reviewedPassRate and shows in the exports; the evaluator results are unchanged', async () => {
    const before = await poll(t, runId);
    expect(before.summary).toMatchObject({ totalPassed: 2, totalFailed: 1, passRate: 66.66666667, reviewed: 0, reviewedPassRate: 66.66666667 });
    const resultsBefore = await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json();

    // A person says the exact_match verdict of row 1 was wrong.
    const res = await put({ rowIndex: 1, targetId: 'agent', evaluatorId: 'exact', verdict: 'passed', comment: 'x means b here' });
    expect(res.status).toBe(200);
    const review = (await res.json()) as Record<string, unknown>;
    expect(review).toMatchObject({ runId, rowIndex: 1, targetId: 'agent', repeat: 0, evaluatorId: 'exact', verdict: 'passed', comment: 'x means b here', reviewer: `${t.key.slice(0, 10)}…` });
    expect(review.reviewedAt).toEqual(expect.any(Number));
    expect(JSON.stringify(review)).not.toContain(t.key);

    const after = await poll(t, runId);
    expect(after.summary).toMatchObject({ reviewed: 1, reviewedPassRate: 100 });
    // The evaluators' figures and results are exactly as before.
    const { reviewed: _r, reviewedPassRate: _p, ...evaluatorFigures } = after.summary!;
    const { reviewed: _r0, reviewedPassRate: _p0, ...evaluatorFiguresBefore } = before.summary!;
    expect(evaluatorFigures).toEqual(evaluatorFiguresBefore);
    expect(await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).json()).toEqual(resultsBefore);

    const jsonl = (await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=jsonl`)).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(jsonl.map((l) => l.evaluations[0].passed)).toEqual([true, false, true]);
    expect(jsonl[1].reviews).toEqual([review]);
    expect(jsonl[0].reviews).toBeUndefined();
    expect(jsonl[2].reviews).toBeUndefined();

    const csv = (await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=csv`)).text()).trim().split('\n');
    expect(csv[0]!.endsWith(',review,review.comment,review.by,exact.review')).toBe(true);
    expect(csv[2]!.endsWith(',,,,passed')).toBe(true);
    const junit = await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=junit`)).text();
    expect(junit).toContain(`<property name="review.exact" value="passed by ${t.key.slice(0, 10)}…: x means b here"/>`);
    // JUnit's outcome stays the evaluators'.
    expect((junit.match(/<failure /g) ?? []).length).toBe(1);
  });

  it('replaces a review with the same key, and lets a review of the cell decide it', async () => {
    expect((await put({ rowIndex: 1, targetId: 'agent', evaluatorId: 'exact', verdict: 'failed' }, { prefix: '/api/evaluations/v3' })).status).toBe(200);
    let list = (await (await t.req('GET', `/api/experiments/runs/${runId}/reviews`)).json()) as { runId: string; reviews: Record<string, unknown>[] };
    expect(list.reviews).toHaveLength(1);
    expect(list.reviews[0]).toMatchObject({ evaluatorId: 'exact', verdict: 'failed', comment: null });
    expect((await poll(t, runId)).summary).toMatchObject({ reviewed: 1, reviewedPassRate: 66.66666667, passRate: 66.66666667 });

    // Row 0 passed by its evaluator; a person fails the cell as a whole.
    expect((await put({ rowIndex: 0, targetId: 'agent', verdict: 'failed', comment: 'right answer, wrong tone' })).status).toBe(200);
    expect((await poll(t, runId)).summary).toMatchObject({ reviewed: 2, reviewedPassRate: 33.33333333, totalPassed: 2 });
    list = (await (await t.req('GET', `/api/evaluations/v3/runs/${runId}/reviews`)).json()) as typeof list;
    expect(list.reviews.map((r) => [r.rowIndex, r.evaluatorId, r.verdict])).toEqual([[0, null, 'failed'], [1, 'exact', 'failed']]);
  });

  it('refuses bad bodies with precise 400s and names what does not exist with 404s', async () => {
    const cases: [unknown, string][] = [
      [{ rowIndex: 0, targetId: 'agent' }, 'verdict'],
      [{ rowIndex: 0, targetId: 'agent', verdict: 'maybe' }, 'verdict'],
      [{ rowIndex: -1, targetId: 'agent', verdict: 'passed' }, 'rowIndex'],
      [{ rowIndex: 1.5, targetId: 'agent', verdict: 'passed' }, 'rowIndex'],
      [{ rowIndex: 0, verdict: 'passed' }, 'targetId'],
      [{ rowIndex: 0, targetId: 'agent', verdict: 'passed', comment: 7 }, 'comment'],
      [{ rowIndex: 0, targetId: 'agent', verdict: 'passed', comment: 'x'.repeat(10_001) }, 'comment'],
      [{ rowIndex: 0, targetId: 'agent', verdict: 'passed', evaluatorId: '' }, 'evaluatorId'],
      [{ rowIndex: 0, targetId: 'agent', verdict: 'passed', reviewer: 'me' }, ''],
    ];
    for (const [body, field] of cases) {
      const res = await put(body);
      const answer = (await res.json()) as { error: string; issues: { path: string[] }[] };
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(answer.error).toBe('validation_error');
      if (field) expect(answer.issues.map((i) => i.path.join('.')), JSON.stringify(body)).toContain(field);
      else expect(JSON.stringify(answer)).toContain('reviewer');
    }
    const empty = await t.req('PUT', `/api/experiments/runs/${runId}/reviews`, { raw: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: 'Invalid JSON body', code: 'invalid_json' });
    const broken = await t.req('PUT', `/api/experiments/runs/${runId}/reviews`, { raw: '{"rowIndex": 0,', headers: { 'content-type': 'application/json' } });
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ error: 'Invalid JSON body' });

    const missing: [unknown, string | undefined, string][] = [
      [{ rowIndex: 0, targetId: 'agent', verdict: 'passed' }, 'run_nope', 'run_not_found'],
      [{ rowIndex: 3, targetId: 'agent', verdict: 'passed' }, undefined, 'cell_not_found'],
      [{ rowIndex: 0, targetId: 'other', verdict: 'passed' }, undefined, 'cell_not_found'],
      [{ rowIndex: 0, targetId: 'agent', repeat: 1, verdict: 'passed' }, undefined, 'cell_not_found'],
      [{ rowIndex: 0, targetId: 'agent', evaluatorId: 'judge', verdict: 'passed' }, undefined, 'cell_not_found'],
    ];
    for (const [body, id, code] of missing) {
      const res = await put(body, id ? { id } : {});
      expect(res.status, JSON.stringify(body)).toBe(404);
      expect(await res.json()).toMatchObject({ error: code });
    }
    expect((await t.req('GET', '/api/experiments/runs/run_nope/reviews')).status).toBe(404);
    // Nothing of the refused calls was stored.
    const list = (await (await t.req('GET', `/api/experiments/runs/${runId}/reviews`)).json()) as { reviews: unknown[] };
    expect(list.reviews).toHaveLength(2);
  });

  it("is another project's run: 404, and nothing written", async () => {
    const other = await t.otherProject();
    const res = await put({ rowIndex: 0, targetId: 'agent', verdict: 'passed' }, { key: other.key });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: 'run_not_found' });
    expect((await t.req('GET', `/api/experiments/runs/${runId}/reviews`, { key: other.key })).status).toBe(404);
    expect((await poll(t, runId)).summary).toMatchObject({ reviewed: 2 });
  });

  it('a poll of a run with many reviews works its figures out in turns, once per change, and follows every new review', async () => {
    const big = await t.req('POST', '/api/experiments', { body: agentExperiment('many-reviews', agent.url, 1_200) });
    expect(big.status).toBe(201);
    const id = await startRun(t, 'many-reviews');
    await waitForRun(t, id, 60_000);
    // The agent echoes: every row passes; reviews fail the first 1,100.
    for (let row = 0; row < 1_100; row++) expect((await put({ rowIndex: row, targetId: 'agent', verdict: 'failed', comment: 'no' }, { id })).status).toBe(200);
    // Row 499's cell has a second review, its evaluator's: in key order the 500th and 501st
    // reviews, the two sides of the figures' first page. Still one reviewed cell.
    expect((await put({ rowIndex: 499, targetId: 'agent', evaluatorId: 'exact', verdict: 'passed' }, { id })).status).toBe(200);
    setTurnBudget(0);
    try {
      let summary: Awaited<ReturnType<typeof poll>>['summary'];
      const first = await turnsDuring(async () => (summary = (await poll(t, id)).summary));
      expect(summary).toMatchObject({ reviewed: 1_100, reviewedPassRate: round2((100 / 1_200) * 100) });
      // The reviewed cells are read 500 at a time, a turn each.
      expect(first).toBeGreaterThanOrEqual(3);
      // Nothing changed: the figures are kept, not read again.
      const again = await turnsDuring(async () => (summary = (await poll(t, id)).summary));
      expect(again).toBeLessThan(first);
      expect(summary).toMatchObject({ reviewed: 1_100 });
    } finally {
      setTurnBudget(TURN_BUDGET_MS);
    }
    // The list in pages by cursor: 500 by default, together every review once, in key order.
    const keys: string[] = [];
    let pages = 0;
    for (let cursor: string | null | undefined; cursor !== null; pages++) {
      const res = await t.req('GET', `/api/experiments/runs/${id}/reviews${cursor ? `?cursor=${cursor}` : ''}`);
      const page = (await res.json()) as { reviews: { rowIndex: number; evaluatorId: string | null }[]; nextCursor: string | null };
      expect(page.reviews.length).toBeLessThanOrEqual(500);
      keys.push(...page.reviews.map((r) => `${r.rowIndex}/${r.evaluatorId ?? ''}`));
      cursor = page.nextCursor;
    }
    expect(pages).toBe(3);
    const expected = Array.from({ length: 1_100 }, (_, row) => `${row}/`);
    expected.splice(500, 0, '499/exact');
    expect(keys).toEqual(expected);
    // A limit asks for fewer or more, up to 1,000.
    const big1 = (await (await t.req('GET', `/api/experiments/runs/${id}/reviews?limit=5000`)).json()) as { reviews: unknown[]; nextCursor: string };
    expect(big1.reviews).toHaveLength(1_000);
    const rest = (await (await t.req('GET', `/api/experiments/runs/${id}/reviews?limit=1000&cursor=${big1.nextCursor}`)).json()) as { reviews: unknown[]; nextCursor: null };
    expect(rest).toMatchObject({ nextCursor: null });
    expect(rest.reviews).toHaveLength(101);
    // A cursor no page gave, or a limit that is not a whole number of at least 1: 400, naming the
    // parameter (limit=0 on a run with reviews was a 500: an empty page has no last key).
    for (const query of ['cursor=abc', `cursor=${Buffer.from('[1,"a"]').toString('base64url')}`, `cursor=${'x'.repeat(2_001)}`, 'limit=-1', 'limit=ten', 'limit=0']) {
      const res = await t.req('GET', `/api/experiments/runs/${id}/reviews?${query}`);
      expect(res.status, query).toBe(400);
      const answer = (await res.json()) as { error: string; issues: { path: string[] }[] };
      expect(answer.error).toBe('validation_error');
      expect(answer.issues.map((i) => i.path.join('.'))).toContain(query.split('=')[0]);
    }
    // The export reads each page's reviews with it: every reviewed line has its reviews.
    const lines = (await (await t.req('GET', `/api/experiments/runs/${id}/export?format=jsonl`)).text()).trim().split('\n').map((l) => JSON.parse(l) as { index: number; reviews?: unknown[] });
    expect(lines.map((l) => l.reviews?.length ?? 0)).toEqual(Array.from({ length: 1_200 }, (_, row) => (row === 499 ? 2 : row < 1_100 ? 1 : 0)));

    // A new review, even within the same millisecond as the last, shows at the next poll.
    expect((await put({ rowIndex: 0, targetId: 'agent', verdict: 'passed' }, { id })).status).toBe(200);
    expect((await poll(t, id)).summary).toMatchObject({ reviewed: 1_100, reviewedPassRate: round2((101 / 1_200) * 100) });
  });
});

const round2 = (n: number) => Math.round(n * 1e8) / 1e8;
