// Deeply nested YAML bodies (found while fixing item 2): yaml's composer recurses once per
// level, so a 10 KB body of `[` overflowed the stack, and the second such body killed the whole
// process ("FATAL ERROR: RegExpCompiler Allocation failed", V8 aborting when the overflow lands
// in its regexp compiler). Nesting is now checked while the text is parsed, before the composer
// runs: every such body is a 400, however many arrive. See docs/decisions.md ("Bodies").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

async function postYaml(text: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await t.req('POST', '/api/experiments', { raw: text, headers: { 'content-type': 'application/yaml' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('deeply nested YAML bodies', () => {
  it('refuses them with 400, again and again, in every nesting style', async () => {
    const flow = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    const flowMap = (n: number): string => '{a: '.repeat(n) + '1' + '}'.repeat(n);
    const compact = (n: number): string => '- '.repeat(n) + 'x';
    const bodies = [flow(1_000), flow(5_000), flow(3_000), flow(60_000), flowMap(5_000), compact(5_000), flow(1_000), flow(5_000)];
    // All bodies first, checks after: before the fix, the process died on the second one.
    const answers = [];
    for (const text of bodies) answers.push({ text: text.slice(0, 20), ...(await postYaml(text)) });
    expect((await t.req('GET', '/healthz')).status).toBe(200);
    for (const { text, status, body } of answers) {
      expect(status, text).toBe(400);
      expect(body.message, text).toBe('The body is nested more than 64 levels deep');
    }
  }, 60_000);

  it('still reads nesting up to the JSON depth limit', async () => {
    const { status, body } = await postYaml(`slug: deep\nname: deep\nmetadata:\n  x: ${'['.repeat(60)}${']'.repeat(60)}\ntargets:\n  - {id: c, type: code, code: "return 1"}\n`);
    expect(status, JSON.stringify(body).slice(0, 300)).toBe(201);
  });
});
