// YAML bodies that expand (security review, item 2): `maxAliasCount` bounds how many aliases a
// document uses, not how much they expand, so a 1 MB body with 99 aliases of one anchor was
// stored as ~100 MB (8 s, 1 GB RSS) and a 4.2 MB one took the server to 3.4 GB. The expanded
// JSON is now held to ASSAY_MAX_BODY_BYTES and measured on the parsed nodes before anything is
// built: such bodies get a 413 at once, with RSS barely moving. Nested aliases ("billion
// laughs") are counted in full. See docs/decisions.md ("Bodies").
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_YAML_BYTES } from '../../src/http/body.js';
import { expandedJsonBytes } from '../../src/http/yaml-body.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';

const LIMIT = 10 * 1024 * 1024;
/** Generous: a refusal takes well under a second; the expansion took 8 s and more. */
const MAX_MS = 4_000;
/** Peak RSS of this process: this file runs in a fork of its own, which starts at ~150 MB. */
const MAX_PEAK_MB = 400;

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay({ maxBodyBytes: LIMIT });
});
afterAll(() => t.close());

/** An experiment whose first row holds an anchored string of `anchorBytes`, aliased by `aliases` more rows. */
function aliasBomb(slug: string, anchorBytes: number, aliases: number): string {
  const rows = [`    - q: &a "${'x'.repeat(anchorBytes)}"`, ...Array.from({ length: aliases }, () => '    - q: *a')];
  return `slug: ${slug}\nname: bomb\ndataset:\n  rows:\n${rows.join('\n')}\ntargets:\n  - {id: c, type: code, code: "return 1"}\n`;
}

/** Peak RSS of this process so far, MB (`maxRSS` is in KiB on Linux). */
function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Posts a YAML body; answers status, body, time taken and how much the process's peak RSS rose. */
async function postYaml(text: string): Promise<{ status: number; body: Record<string, unknown>; ms: number; peakRiseMb: number }> {
  const peakBefore = peakRssMb();
  const started = performance.now();
  const res = await t.req('POST', '/api/experiments', { raw: text, headers: { 'content-type': 'application/yaml' } });
  const body = (await res.json()) as Record<string, unknown>;
  return { status: res.status, body, ms: performance.now() - started, peakRiseMb: peakRssMb() - peakBefore };
}

describe('YAML bodies whose aliases expand past the body limit', () => {
  // The reported bodies themselves are now refused for their size alone: YAML bodies are capped
  // at MAX_YAML_BYTES (yaml parses ≈ 0.6 s per MB on the main thread).
  for (const [name, anchorBytes] of [['the reported 1 MB body with 99 aliases', 1_000_000], ['the reported 4.2 MB body with 99 aliases', 4_200_000]] as const) {
    it(`refuses ${name} with 413 at once, for its size`, async () => {
      const text = aliasBomb(`big-${anchorBytes}`, anchorBytes, 99);
      const { status, body, ms } = await postYaml(text);
      expect(status).toBe(413);
      expect(String(body.message)).toContain(`A YAML body may be at most ${MAX_YAML_BYTES} bytes`);
      expect(ms).toBeLessThan(MAX_MS);
      expect(peakRssMb()).toBeLessThan(MAX_PEAK_MB);
    });
  }

  // Bodies under the YAML cap whose aliases would expand to more than the body limit.
  for (const [name, anchorBytes] of [['a 120 KB body with 99 aliases (12 MB expanded)', 120_000], ['a 125 KB body with 99 aliases', 125_000]] as const) {
    it(`refuses ${name} with 413, quickly and without building it`, async () => {
      const slug = `bomb-${anchorBytes}`;
      const text = aliasBomb(slug, anchorBytes, 99);
      expect(text.length).toBeLessThan(LIMIT);
      const { status, body, ms, peakRiseMb } = await postYaml(text);
      console.log(`${name}: ${status} in ${ms.toFixed(0)} ms, peak RSS ${peakRssMb().toFixed(0)} MB (rose ${peakRiseMb.toFixed(0)} MB)`);
      expect(status).toBe(413);
      expect(body.error).toBe('payload_too_large');
      // The message names the expanded size (100 copies of the anchor, and then some) and the limit.
      const expanded = Number(/expands to (\d+) bytes/.exec(String(body.message))?.[1]);
      expect(expanded).toBeGreaterThan(100 * anchorBytes);
      expect(String(body.message)).toContain(`limit of ${LIMIT} bytes`);
      expect(ms).toBeLessThan(MAX_MS);
      expect(peakRssMb()).toBeLessThan(MAX_PEAK_MB);
      expect((await t.req('GET', `/api/experiments/${slug}`)).status).toBe(404);
    }, 180_000);
  }

  it('counts nested aliases in full: a body that passes maxAliasCount but expands 121-fold is refused', async () => {
    // a is 120 KB; each level holds the one below three times: 1 + 3 + 9 + 27 + 81 = 121 copies of a, ~14.5 MB.
    const text = [
      'slug: nested', 'name: nested', 'dataset:', '  rows:',
      `    - a: &a "${'y'.repeat(120_000)}"`,
      '    - b: &b [*a, *a, *a]',
      '    - c: &c [*b, *b, *b]',
      '    - d: &d [*c, *c, *c]',
      '    - e: &e [*d, *d, *d]',
      'targets:', '  - {id: c, type: code, code: "return 1"}', '',
    ].join('\n');
    const { status, body } = await postYaml(text);
    expect(status).toBe(413);
    expect(Number(/expands to (\d+) bytes/.exec(String(body.message))?.[1])).toBeGreaterThan(121 * 120_000);
  }, 180_000);

  it('refuses the billion-laughs shape with 413 (ten levels of ten aliases), having counted it exactly', async () => {
    const levels = ['a0: &a0 "lol"'];
    for (let i = 1; i <= 10; i++) levels.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    const text = levels.join('\n');
    // Each level is 10 copies of the one below plus brackets and commas: n(i) = 10·n(i−1) + 11.
    let level = 5;
    let total = 2 + '"a0":'.length + level; // {"a0":"lol"}
    for (let i = 1; i <= 10; i++) {
      level = 10 * level + 11;
      total += 1 + `"a${i}":`.length + level;
    }
    expect(expandedJsonBytes(YAML.parseDocument(text))).toBe(total);
    const { status, body, ms } = await postYaml(text);
    expect(status).toBe(413);
    expect(body.error).toBe('payload_too_large');
    expect(ms).toBeLessThan(MAX_MS);
  });

  it('still accepts aliases that stay within the limit, expanded', async () => {
    const text = 'slug: shared\nname: shared\ndataset:\n  rows:\n    - q: &q "same question"\n    - q: *q\ntargets:\n  - {id: c, type: code, code: "return 1"}\n';
    const { status, body } = await postYaml(text);
    expect(status).toBe(201);
    expect((body.document as { dataset: { rows: unknown[] } }).dataset.rows).toEqual([{ q: 'same question' }, { q: 'same question' }]);
  });
});
