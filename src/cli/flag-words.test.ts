// The server's messages name API fields (retryErrors, data, dataset_id, row_indices); the CLI,
// run as real processes against a real server, says its flags instead.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'FlagWords0'.repeat(4)}`;
let server: CliServer;

const target = (code: string) => [{ id: 't', type: 'code', code }];

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-flag-words-');
  for (const [slug, rows, code] of [['quick', [{ q: 'a' }, { q: 'b' }], 'return row.q'], ['empty', [], 'return 1'], ['broken', Array.from({ length: 30 }, (_, i) => ({ q: `q${i}` })), 'throw new Error("no")']] as const) {
    const created = await server.post('/api/experiments', { slug, name: slug, dataset: { rows }, targets: target(code) });
    expect(created.status).toBe(201);
  }
});
afterAll(async () => {
  await server?.stop();
});

describe('CLI messages name the flags, not the API fields', { timeout: 120_000 }, () => {
  it('no rows to run: --data, --dataset and --param; --rows', async () => {
    const empty = await server.run(['run', 'empty']);
    expect(empty.out).toContain("There are no rows to run: the experiment's dataset is empty; give rows with --data FILE, a saved dataset with --dataset SLUG, or --param NAME=VALUE");
    expect(empty.out).not.toContain('dataset_id');
    expect(empty.code).toBe(2);
    const file = path.join(server.dataDir, 'no-rows.jsonl');
    writeFileSync(file, '');
    const noData = await server.run(['run', 'quick', '--data', file]);
    expect(noData.out).toContain("There are no rows to run: --data holds no row; give at least one, or leave --data out to run the experiment's dataset");
    expect(noData.code).toBe(2);
    const outside = await server.run(['run', 'quick', '--rows', '5']);
    expect(outside.out).toContain('--rows selects none of the 2 rows (indices 0–1): 5 is out of range');
    expect(outside.out).toContain('  - --rows: selects no row');
    expect(outside.out).not.toContain('row_indices');
    expect(outside.code).toBe(2);
  });

  it('resume of a completed run, and a run whose target calls all failed, name --retry-errors', async () => {
    const done = await server.run(['run', 'quick']);
    const runId = /Run (run_\w+) started/.exec(done.out)![1]!;
    const resumed = await server.run(['resume', runId]);
    expect(resumed.out).toContain('--retry-errors');
    expect(resumed.out).not.toContain('retryErrors');
    expect(resumed.code).toBe(2);
    const failed = await server.run(['run', 'broken', '--max-errors', '2', '--concurrency', '1']);
    const failedId = /Run (run_\w+) started/.exec(failed.out)![1]!;
    expect(failed.out).toContain(`then resume the run with \`assay resume ${failedId} --retry-errors\` to run them again`);
    expect(failed.out).not.toContain('retryErrors');
    expect(failed.code).toBe(2);
  });
});
