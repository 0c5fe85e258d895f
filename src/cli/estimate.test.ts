// `assay run SLUG --estimate` against a real server process: it prints what the run would cost
// from the experiment's earlier runs and starts nothing; the words for each kind of figure are
// checked on estimates written out here.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEstimate } from '../client/index.js';
import { type CliServer, startCliServer } from '../testing/spawn.js';
import { formatEstimate, usd } from './estimate.js';

const KEY = `sk-lw-${'EstimateCl'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-estimate-cli-');
  const quick = await server.post('/api/experiments', {
    slug: 'quick', name: 'quick',
    dataset: { rows: Array.from({ length: 12 }, (_, i) => ({ q: `q${i}` })) },
    targets: [{ id: 'echo', type: 'code', code: 'return row.q' }],
    evaluators: [{ id: 'exact', type: 'exact_match', inputs: { output: 'output', expected_output: 'row.q' } }],
  });
  expect(quick.status).toBe(201);
});
afterAll(async () => {
  await server?.stop();
});

async function runs(): Promise<number> {
  const res = await fetch(`${server.base}/api/experiments/runs?experimentSlug=quick`, { headers: { authorization: `Bearer ${KEY}` } });
  return ((await res.json()) as { runs: unknown[] }).runs.length;
}

describe('assay run --estimate', { timeout: 60_000 }, () => {
  it('before any run: the cells, and that nothing earlier made the calls; nothing is started', async () => {
    const { code, out } = await server.run(['run', 'quick', '--estimate', '--rows', '0,1,2']);
    expect(out).toContain('Estimate for quick (version 1): 3 cells; nothing was started');
    // A code target calls no model: $0 before any run, and the total is known.
    expect(out).toMatch(/echo\s+3 cells\s+\$0 {2}\(it calls no model\)/);
    expect(out).toMatch(/total\s+\$0\n/);
    expect(code).toBe(0);
    expect(await runs()).toBe(0);
  });

  it('after a run: the code target and its evaluator cost nothing, from the run', async () => {
    expect((await server.run(['run', 'quick'])).code).toBe(0);
    const { code, out } = await server.run(['run', 'quick', '--estimate']);
    expect(out).toMatch(/echo\s+12 cells\s+\$0 {2}\(\$0 a cell, from 1 earlier run\)/);
    expect(out).toMatch(/exact \(evaluator\)\s+12 cells\s+\$0 {2}\(\$0 a cell, from 1 earlier run\)/);
    expect(code).toBe(0);
    expect(await runs()).toBe(1);
  });

  it('refuses the flags that act on a finished run, and a body the server refuses', async () => {
    const flags = await server.run(['run', 'quick', '--estimate', '--junit', 'x.xml', '--no-wait']);
    expect(flags.out).toContain('--junit, --no-wait act on the finished run: they cannot be used with --estimate');
    expect(flags.code).toBe(2);
    const unknown = await server.run(['run', 'nope', '--estimate']);
    expect(unknown.out).toContain('nope');
    expect(unknown.code).toBe(2);
    expect(await runs()).toBe(1);
  });

  it('says one cell and one row in the singular', async () => {
    const estimate = await server.run(['run', 'quick', '--estimate', '--rows', '0']);
    expect(estimate.out).toContain('Estimate for quick (version 1): 1 cell; nothing was started');
    expect(estimate.out).toMatch(/echo\s+1 cell {3}\$0 {2}\(\$0 a cell, from 1 earlier run\)/);
    expect(estimate.out).not.toMatch(/\b1 cells\b/);
    const started = await server.run(['run', 'quick', '--rows', '0']);
    expect(started.out).toMatch(/Run run_\w+ started: 1 cell\n/);
    expect(started.code).toBe(0);
    const data = path.join(server.dataDir, 'one-row.jsonl');
    writeFileSync(data, '{"q":"q0"}\n');
    const outside = await server.run(['run', 'quick', '--data', data, '--rows', '0,3']);
    expect(outside.out).toContain(`--rows: ${data} has 1 row, so row 3 is not in it`);
    expect(outside.code).toBe(2);
  });
});

describe('formatEstimate', () => {
  const estimate: RunEstimate = {
    experimentSlug: 'qa', experimentVersion: 4, total: 400,
    targets: [
      { targetId: 'gpt', cells: 200, basis: 'history', costPerCell: 0.000253, estimatedCost: 0.0506, fromRuns: ['r2', 'r1'] },
      { targetId: 'claude', cells: 200, basis: 'older_versions', costPerCell: 0.0125, estimatedCost: 2.5, fromRuns: ['r0'] },
    ],
    evaluators: [{ evaluatorId: 'judge', cells: 400, basis: 'history', costPerCell: 0.0001, estimatedCost: 0.04, fromRuns: ['r2'] }],
    estimatedCost: 2.5906, complete: true, budgetUsd: 2, overBudget: true,
  };

  it('words each part, the total and the budget', () => {
    expect(formatEstimate(estimate)).toBe([
      'Estimate for qa (version 4): 400 cells; nothing was started',
      '  gpt                    200 cells  $0.0506  ($0.000253 a cell, from 2 earlier runs)',
      '  claude                 200 cells  $2.50  ($0.0125 a cell, from 1 earlier run of earlier versions of the experiment)',
      '  judge (evaluator)      400 cells  $0.04  ($0.0001 a cell, from 1 earlier run)',
      '  total              $2.59',
      '  budget $2.00: the run would likely stop for it before the end',
      '',
    ].join('\n'));
  });

  it("words a first run's figures from prices: at most with maxTokens, at least without, and checks that call no model", () => {
    const first: RunEstimate = {
      experimentSlug: 'qa', experimentVersion: 1, total: 2000,
      targets: [
        { targetId: 'capped', cells: 1000, basis: 'prices', costPerCell: 0.0000306, estimatedCost: 0.0306, fromRuns: [], inputTokensPerCell: 1234.4, outputTokensPerCell: 50, rowsSampled: 100 },
        { targetId: 'open', cells: 1000, basis: 'prices_input', costPerCell: 0.0000006, estimatedCost: 0.0006, fromRuns: [], inputTokensPerCell: 4, rowsSampled: 7 },
      ],
      evaluators: [{ evaluatorId: 'exact', cells: 2000, basis: 'no_model', costPerCell: 0, estimatedCost: 0, fromRuns: [] }],
      estimatedCost: 0.0312, complete: false, budgetUsd: null,
    };
    const text = formatEstimate(first);
    expect(text).toContain("  capped                1000 cells  at most $0.0306  ($0.0000306 a cell at the model's price: about 1,234 prompt tokens, from 100 rows, and answers of up to 50 tokens, its maxTokens)");
    expect(text).toContain("  open                  1000 cells  at least $0.0006  ($0.0000006 a cell at the model's price for about 4 prompt tokens, from 7 rows; the answers are not counted: the target sets no maxTokens)");
    expect(text).toContain('  exact (evaluator)     2000 cells  $0  (it calls no model)');
    expect(text).toContain('total              at least $0.0312');
    // Complete, with answers counted at their maxTokens: an upper bound.
    const capped: RunEstimate = { ...first, targets: [first.targets[0]!], estimatedCost: 0.0306, complete: true };
    expect(formatEstimate(capped)).toContain('total              at most $0.0306');
    const oneRow: RunEstimate = { ...first, targets: [{ ...first.targets[0]!, cells: 1, rowsSampled: 1 }] };
    expect(formatEstimate(oneRow)).toContain("  capped                   1 cell   at most $0.0306  ($0.0000306 a cell at the model's price: about 1,234 prompt tokens, from 1 row, and answers");
  });

  it('prints dollars with the digits that matter', () => {
    expect([usd(0), usd(0.000012345), usd(0.5), usd(12.345), usd(6e-7)]).toEqual(['$0', '$0.0000123', '$0.5', '$12.35', '$0.0000006']);
  });
});
