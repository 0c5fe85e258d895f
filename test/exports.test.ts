// Exports a user opens elsewhere (issue 15, "exports safe to open"; issue 11, exporters in the
// app layer): every CSV text field that a spreadsheet would run as a formula is neutralised
// with a leading apostrophe (model outputs are untrusted: a prompt injection can make a model
// answer =HYPERLINK(…)), numbers stay numbers, and JUnit counts tests, failures and errors and
// says in each failure why the case failed.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestAssay, type TestAssay } from '../src/testing/harness.js';

const HOSTILE = ['=HYPERLINK("http://evil.example","x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR', '=cmd|" /C calc"!A0'];

let t: TestAssay;
let runId: string;

beforeAll(async () => {
  t = await startTestAssay();
  const rows = [...HOSTILE.map((out) => ({ out, expected: 'safe' })), { out: 'safe', expected: 'safe' }, { out: 'boom', expected: 'safe' }];
  await t.client.json('POST', '/api/experiments', {
    slug: 'hostile-export', name: 'hostile export',
    dataset: { rows },
    // The row's `out` is the output; 'boom' makes the target fail.
    targets: [{ id: 'target', type: 'code', code: "if (row.out === 'boom') throw new Error('=ERR boom'); return row.out" }],
    evaluators: [
      { id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } },
      { id: 'cat', type: 'custom_code', settings: { code: "return { passed: true, label: output, score: -1 }" } },
    ],
  });
  runId = (await t.client.startRun('hostile-export')).runId;
  expect((await t.client.waitForEnd(runId, 30_000)).status).toBe('completed');
});
afterAll(() => t.close());

describe('CSV export', () => {
  it('neutralises every text field that starts like a formula, and keeps numbers as numbers', async () => {
    const text = await t.client.exportRun(runId, 'csv');
    const records = parse(text, { relax_column_count: false }) as string[][];
    const [header, ...lines] = records;
    expect(lines).toHaveLength(HOSTILE.length + 2);
    const column = (name: string) => header!.indexOf(name);
    const outputs = lines.map((l) => l[column('output')]);
    for (const hostile of HOSTILE) expect(outputs).toContain(`'${hostile}`);
    expect(outputs).toContain('safe');
    // Labels come from evaluators (a judge names a category): neutralised as well.
    expect(lines.map((l) => l[column('error')])).toContain("code threw: =ERR boom (line 1)");
    expect(lines.map((l) => l[column('cat.label')])).toContain(`'${HOSTILE[0]}`);
    // Every field a spreadsheet would evaluate is neutralised, except the numbers Assay wrote.
    const numeric = new Set(['index', 'repeat', 'cost', 'duration_ms', 'tokens_in', 'tokens_out', 'attempts', 'cat.score', 'exact.score']);
    for (const line of lines) {
      line.forEach((field, i) => {
        if (numeric.has(header![i]!)) expect(field, header![i]).toMatch(/^(-?\d+(\.\d+)?)?$/);
        else expect(field, `${header![i]}: ${JSON.stringify(field)}`).not.toMatch(/^[=+\-@\t\r]/);
      });
    }
    expect(lines.map((l) => l[column('cat.score')])).toContain('-1');
  });

  it('writes booleans as true and false, as the JSON and compare exports do', async () => {
    const [header, ...lines] = parse(await t.client.exportRun(runId, 'csv')) as string[][];
    const values = (name: string) => lines.map((l) => l[header!.indexOf(name)]);
    // 7 hostile outputs fail exact_match, 'safe' passes; the failed target has no verdict.
    expect(values('exact.passed').sort()).toEqual(['', ...Array(7).fill('false'), 'true']);
    expect(new Set(values('cat.passed'))).toEqual(new Set(['true', '']));
    expect(new Set(values('cached'))).toEqual(new Set(['false']));
  });
});

describe('JUnit export', () => {
  it('counts tests, failures and errors, and says why each case failed', async () => {
    const xml = await t.client.exportRun(runId, 'junit');
    // 7 hostile outputs fail exact_match, 1 passes, 1 target error.
    expect(xml).toContain(`<testsuite name="hostile-export ${runId}" tests="9" failures="7" errors="1">`);
    expect(xml.match(/<testcase /g)).toHaveLength(9);
    expect(xml.match(/<failure /g)).toHaveLength(7);
    // The failure's text is the evaluator's details (escaped), else what it returned.
    expect(xml).toContain('<failure message="exact failed">exact failed: Exact Match returned passed: false</failure>');
    expect(xml).toContain('<error message="code threw: =ERR boom (line 1)">code threw: =ERR boom (line 1)</error>');
    // One failure or error per failing case (CI reports show only the first of several).
    for (const testcase of xml.match(/<testcase [\s\S]*?<\/testcase>/g)!) expect(testcase.match(/<(failure|error) /g)?.length ?? 0).toBeLessThanOrEqual(1);
    // Cases are named by their row and its first text, so a report says which question failed.
    expect(xml).toContain('classname="hostile-export.target" name="row 7: safe"');
    expect(xml).toContain('name="row 0: =HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)"');
  });
});
