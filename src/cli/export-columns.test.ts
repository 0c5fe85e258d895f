// `assay export RUN --format csv --columns index,entry.questoin,output` exited 0 with an empty
// `entry.questoin` column (user walkthrough, 2026-12-06), while `--columns outptu` was refused: a
// column the run's rows do not have is refused the same way, with a did-you-mean, exit 2. As
// real processes against a real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'ExportCols'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-export-columns-');
  const rows = [{ question: 'Capital of France?', expected: 'Paris', product: 'geo' }, { question: 'Capital of Peru?', expected: 'Lima', product: 'geo' }];
  expect((await server.post('/api/datasets', { name: 'Questions', slug: 'questions', rows })).status).toBe(201);
  expect((await server.post('/api/experiments', { slug: 'echo', name: 'echo', dataset: { datasetId: 'questions' }, targets: [{ id: 'echo', type: 'code', code: 'return row.question' }] })).status).toBe(201);
});
afterAll(async () => {
  await server.stop();
});

describe('assay export --columns', { timeout: 120_000 }, () => {
  it('refuses entry.<name> for a column the rows do not have, with a did-you-mean, and exports the columns they have', async () => {
    const ran = await server.run(['run', 'echo']);
    expect(ran.code).toBe(0);
    const runId = /(run_[0-9A-Za-z]+)/.exec(ran.out)![1]!;

    const typo = await server.run(['export', runId, '--format', 'csv', '--columns', 'index,entry.questoin,output']);
    expect(typo.code).toBe(2);
    expect(typo.out).toContain('400 Unknown column "entry.questoin": the run\'s rows have no column "questoin" (did you mean "entry.question"?); their columns are question, expected, product');
    const plain = await server.run(['export', runId, '--format', 'csv', '--columns', 'index,outptu']);
    expect(plain.code).toBe(2);
    expect(plain.out).toContain('400 Unknown column "outptu" (did you mean "output"?): the columns are index, targetId');

    const good = await server.run(['export', runId, '--format', 'csv', '--columns', 'index,entry.question,output']);
    expect(good.code).toBe(0);
    expect(good.out.trim().split('\n')).toEqual(['index,entry.question,output', '0,Capital of France?,Capital of France?', '1,Capital of Peru?,Capital of Peru?']);
  });
});
