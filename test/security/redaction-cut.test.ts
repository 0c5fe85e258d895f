// Redaction at the cut (security review, item 3): texts quoted in errors were cut to length
// before secrets were redacted, so a secret straddling the cut no longer matched and came out
// all but its last characters. Each scenario below places the secret across one cut, at every
// offset in a window around it: the 200-character excerpt of a 500 or 400 answer that echoes
// the Authorization header, the 300-character cut of a template error that names a secret,
// and the 200-character cut of a network error whose host holds one. No prefix of the secret
// longer than 8 characters may appear in the results, the events (stored and live SSE) or the
// exports. (A fourth scenario, the engine's 2,000-character failure cap on an invalid URL that
// held the secret, has nothing left to cut: an invalid URL rendered from secrets is no longer
// quoted at all, test/security/secret-origins.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAgent, type FakeAgent } from '../../src/testing/fake-agent.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { waitForRun } from '../../src/testing/runs.js';

/** Lower case (it also goes in a host name), letters, digits and a hyphen: the same in every encoding. */
const TOKEN = 'sec-4f9a2c7e1b8d3f6a0c5e9b2d7a4f1c8e';
/** Every prefix of the secret longer than 8 characters. */
const PREFIXES = Array.from({ length: TOKEN.length - 8 }, (_, i) => TOKEN.slice(0, 9 + i));

let t: TestAssay;
let agent: FakeAgent;

beforeAll(async () => {
  t = await startTestAssay();
  // Answers with `pad` characters, then the Authorization header it received, as text.
  agent = await startFakeAgent({
    handler: (r) => {
      const { pad, status } = r.body as { pad: number; status: number };
      return { status, body: `${'p'.repeat(pad)} ${String(r.headers.authorization)}` };
    },
  });
  expect((await t.req('PUT', '/api/secrets/TOKEN', { body: { value: TOKEN } })).status).toBeLessThan(300);
});
afterAll(async () => {
  await t.close();
  await agent.close();
});

/** Rows with `pad` from `secretAt - TOKEN.length - 4` to `secretAt + 4`: every way to straddle a cut at `cut`. */
function straddling(cut: number, before: number, extra: Record<string, unknown> = {}): Record<string, unknown>[] {
  const rows = [];
  // The secret starts at `before + pad`; it straddles the cut when it starts 1…len−1 before it.
  for (let visible = -4; visible <= TOKEN.length + 4; visible++) rows.push({ pad: cut - visible - before, ...extra });
  return rows;
}

/** The experiments: one per cut. `pad` is a count; templates turn it into text where needed. */
function experiments(): Record<string, unknown>[] {
  // Every call fails by design: an error limit above the row count keeps every row running.
  const plain = { concurrency: 8, maxRetries: 0, timeoutMs: 20_000, maxErrors: 10_000 };
  return [
    {
      // "HTTP 500 from <origin>: " + excerpt of "ppp… Bearer <token>": the token starts at pad + 8.
      slug: 'echo-cut', name: 'echo at the excerpt cut',
      dataset: { rows: [...straddling(200, 8, { status: 500 }), ...straddling(200, 8, { status: 400 })] },
      targets: [{ id: 'echo', type: 'http', url: `${agent.url}/echo`, headers: { Authorization: 'Bearer {{secrets.TOKEN}}' }, body: { pad: '{{pad}}', status: '{{status}}' } }],
      execution: plain,
    },
    {
      // 'ENOENT: Failed to lookup "<pad><token>"…' cut at 300: the token starts at pad + 26.
      // Read through a variable, and straight inside the tag (where the analysis of which
      // secrets a target uses does not look: it must then not see the secret at all).
      slug: 'template-cut', name: 'template error at its cut',
      dataset: { rows: straddling(300, 26).map((r) => ({ pad: 'q'.repeat(r.pad as number) })) },
      targets: [
        { id: 'assigned', type: 'http', url: `${agent.url}/never`, headers: { 'X-Lookup': '{% assign s = secrets.TOKEN %}{% include {{ pad }}{{ s }} %}' } },
        { id: 'direct', type: 'http', url: `${agent.url}/never`, headers: { 'X-Lookup': '{% include {{ pad }}{{ secrets.TOKEN }} %}' } },
      ],
      execution: plain,
    },
    {
      // "getaddrinfo ENOTFOUND <labels><token>.invalid" cut at 200: the token starts at 22 + pad.
      slug: 'network-cut', name: 'network error at its cut',
      dataset: { rows: straddling(200, 22).map((r) => ({ pad: hostLabels(r.pad as number) })) },
      targets: [{ id: 'dns', type: 'http', url: 'http://{{pad}}{{secrets.TOKEN}}.invalid/x' }],
      execution: plain,
    },
  ];
}

/** `n` characters of host-name labels (at most 50 long each), each followed by a dot. */
function hostLabels(n: number): string {
  let text = '';
  for (let left = n; left > 0; ) {
    // Never leave one character over: it would make an empty label.
    const take = Math.min(51, left) - (left - Math.min(51, left) === 1 ? 1 : 0);
    text += `${'h'.repeat(take - 1)}.`;
    left -= take;
  }
  return text;
}

/** The cut marker, and the redaction marker possibly cut short: proof a scenario reached its cut. */
const CUT_REDACTION = /\[(r(e(d(a(c(t(e(d(\])?)?)?)?)?)?)?)?)?…/;

describe('secrets across a cut', () => {
  it('never show more than 8 characters of a secret, in results, events, live SSE or exports', async () => {
    const haystacks: [string, string][] = [];
    const cellsBySlug = new Map<string, { error: string | null }[]>();
    for (const doc of experiments()) {
      const slug = doc.slug as string;
      expect((await t.req('POST', '/api/experiments', { body: doc })).status, slug).toBe(201);
      // Started with an SSE accept header: the answer is the live stream, to the end of the run.
      const live = await (await t.req('POST', `/api/experiments/${slug}/run`, { headers: { accept: 'text/event-stream' } })).text();
      const runId = /"runId":"(run_[^"]+)"/.exec(live)?.[1];
      expect(runId, `${slug}: ${live.slice(0, 300)}`).toBeDefined();
      await waitForRun(t, runId!, 60_000);
      const results = await (await t.req('GET', `/api/experiments/runs/${runId}/results`)).text();
      haystacks.push([`${slug} live SSE`, live], [`${slug} results`, results]);
      haystacks.push([`${slug} events`, await (await t.req('GET', `/api/experiments/runs/${runId}/events`)).text()]);
      for (const format of ['jsonl', 'csv', 'junit']) {
        haystacks.push([`${slug} export ${format}`, await (await t.req('GET', `/api/experiments/runs/${runId}/export?format=${format}`)).text()]);
      }
      cellsBySlug.set(slug, (JSON.parse(results) as { dataset: { error: string | null }[] }).dataset);
    }
    for (const [where, text] of haystacks) {
      const found = PREFIXES.filter((prefix) => text.includes(prefix));
      expect(found.length === 0 ? 'none' : `the first ${found.at(-1)!.length} characters`, `secret shown in ${where}`).toBe('none');
    }
    // The test proves something: the agent received the secret, every cell failed, and in each
    // scenario some failure texts were cut right where the (redacted) secret was.
    expect(agent.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    for (const [slug, cells] of cellsBySlug) {
      expect(cells.length, slug).toBeGreaterThan(40);
      for (const cell of cells) expect(cell.error, slug).toBeTruthy();
      expect(cells.some((c) => CUT_REDACTION.test(c.error!)), `${slug}: ${cells[0]!.error}`).toBe(true);
    }
  }, 120_000);
});
