// A misspelt experiment slug, run as real processes against a real server: the 404 names the
// project's closest experiment, and the exit code stays 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliServer, startCliServer } from '../testing/spawn.js';

const KEY = `sk-lw-${'SlugHints0'.repeat(4)}`;
let server: CliServer;

beforeAll(async () => {
  server = await startCliServer(KEY, 'assay-slug-hint-');
});
afterAll(async () => {
  await server.stop();
});

describe('a misspelt experiment slug', { timeout: 120_000 }, () => {
  it('says so with a hint when the project has no experiments at all', async () => {
    const res = await server.run(['run', 'capitalz']);
    expect(res.out).toContain('Experiment not found: capitalz');
    expect(res.out).toContain('hint: this project has no experiments yet: `assay push FILE` saves one');
    expect(res.code).toBe(2);
  });

  it('names the close one for run, run --estimate and experiments archive; none for a slug far from every one', async () => {
    for (const slug of ['capitals', 'support-bot']) {
      const created = await server.post('/api/experiments', { slug, name: slug, dataset: { rows: [{ q: 'x' }] }, targets: [{ id: 't', type: 'code', code: 'return row.q' }] });
      expect(created.status).toBe(201);
    }
    for (const args of [['run', 'capitalz'], ['run', 'capitalz', '--estimate'], ['experiments', 'archive', 'capitalz']]) {
      const res = await server.run(args);
      expect(res.out).toContain('capitalz');
      expect(res.out).toContain('hint: did you mean "capitals"?');
      expect(res.code).toBe(2);
    }
    const far = await server.run(['run', 'zzzzzzzzzz']);
    expect(far.out).toContain('Experiment not found: zzzzzzzzzz');
    expect(far.out).not.toContain('hint:');
    expect(far.code).toBe(2);
  });
});
