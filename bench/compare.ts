// Comparing two big runs (issue "compare runs", done-when 5): two 100,000-cell runs of one
// experiment whose code target a run parameter switches (every 10th row regresses), then
// GET /compare timed, with the server's RSS sampled every 10 ms during the request against
// its RSS just before (after a full GC, so garbage of the runs is not counted).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { rssMb } from './proc.js';
import { api, startServer, waitDone } from './servers.js';

export async function compareBench(n: number, print: (line: string) => void): Promise<boolean> {
  print(`\n### Comparing two ${n.toLocaleString('en')}-cell runs\n`);
  const server = await startServer({}, ['--expose-gc', '--import', pathToFileURL(path.join(import.meta.dirname, 'gc-on-signal.mjs')).href]);
  try {
    const csv = 'question,expected\n' + Array.from({ length: n }, (_, i) => `question ${i},QUESTION ${i}`).join('\n') + '\n';
    const ds = await api(server.base, 'POST', '/api/datasets?name=cmp', csv, 'text/csv');
    await api(server.base, 'POST', '/api/experiments', {
      slug: 'cmp', name: 'cmp', dataset: { datasetId: ds.id },
      targets: [{ id: 'upper', type: 'code', code: "return parameters.variant === 'b' && row.question.endsWith('0') ? 'x' : row.question.toUpperCase()" }],
      evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
      execution: { concurrency: 50 },
    });
    const ids: string[] = [];
    for (const variant of ['a', 'b']) {
      const s = await api(server.base, 'POST', '/api/experiments/cmp/run', { parameters: { variant } });
      await waitDone(server.base, s.runId);
      ids.push(s.runId);
    }
    const times: number[] = [];
    let extra = 0;
    let verdict = '';
    let regressed = 0;
    for (let i = 0; i < 3; i++) {
      process.kill(server.pid, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 300));
      const before = rssMb(server.pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(server.pid))), 10);
      const t0 = performance.now();
      const c = await api(server.base, 'GET', `/api/experiments/runs/${ids[1]}/compare?baseline=${ids[0]}`);
      times.push(performance.now() - t0);
      clearInterval(sampler);
      peak = Math.max(peak, rssMb(server.pid));
      extra = Math.max(extra, peak - before);
      verdict = c.verdict;
      regressed = c.rows.counts.regressed;
    }
    print('| cells per run | compare answered (3 times) | extra server RSS (max) | verdict | regressed cells |');
    print('|---:|---:|---:|---|---:|');
    print(`| ${n.toLocaleString('en')} | ${times.map((t) => `${(t / 1000).toFixed(2)} s`).join(', ')} | ${extra.toFixed(0)} MB | ${verdict} | ${regressed.toLocaleString('en')} |`);
    if (regressed !== n / 10) throw new Error(`expected ${n / 10} regressed cells, got ${regressed}`);
    return Math.min(...times) < 2000 && extra < 100;
  } finally {
    await server.stop();
  }
}
