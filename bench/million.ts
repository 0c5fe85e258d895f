// A million rows (issue 14): a 1,000,000-row dataset uploaded as a streamed CSV body (generated
// on the fly, so neither side ever holds it whole), run with a sandboxed code target and exact
// match, then the summary, a results page at the start and at the end, and both streamed
// exports timed. The server's peak RSS (VmHWM, the whole life of the process) must stay under
// 500 MB and the POST of the run must answer in under 300 ms; the scenario fails otherwise.
import { cpuMs, peakRssMb, rssMb } from './proc.js';
import { api, KEY, type Server, startServer } from './servers.js';

const POST_BOUND_MS = 300;
const RSS_BOUND_MB = 500;

/** The CSV of `n` rows as a stream of ~1 MB chunks, made as it is read. */
function csvStream(n: number): { body: ReadableStream<Uint8Array>; bytes: () => number } {
  const encoder = new TextEncoder();
  let i = 0;
  let sent = 0;
  let header = true;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i >= n) {
        controller.close();
        return;
      }
      const lines: string[] = header ? ['question,expected'] : [];
      header = false;
      for (const end = Math.min(n, i + 20_000); i < end; i++) lines.push(`question ${i},QUESTION ${i}`);
      const chunk = encoder.encode(lines.join('\n') + '\n');
      sent += chunk.byteLength;
      controller.enqueue(chunk);
    },
  });
  return { body, bytes: () => sent };
}

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, performance.now() - t0];
}

/** GET of a streamed export, read to the end: its lines and bytes. */
async function readExport(base: string, runId: string, format: 'csv' | 'jsonl'): Promise<{ lines: number; bytes: number }> {
  const res = await fetch(`${base}/api/experiments/runs/${runId}/export?format=${format}`, { headers: { authorization: `Bearer ${KEY}` } });
  if (!res.ok) throw new Error(`export ${format}: ${res.status} ${await res.text()}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const b of chunk) if (b === 10) lines++;
  }
  return { lines, bytes };
}

/** Polls the run (no SSE client: a million cells' events would load the server for nothing) until it ends. */
async function waitEnded(server: Server, runId: string, onTick: () => void): Promise<{ status: string; summary: { totalCells: number; totalPassed: number } }> {
  for (;;) {
    const run = await api(server.base, 'GET', `/api/experiments/runs/${runId}`);
    onTick();
    if (run.status !== 'running') return run;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

export async function millionBench(n: number, print: (line: string) => void): Promise<boolean> {
  print(`\n### ${n.toLocaleString('en')} rows × 1 code target, exact match, embedded (SQLite)\n`);
  const server = await startServer();
  let rssSeen = 0;
  const sample = () => (rssSeen = Math.max(rssSeen, rssMb(server.pid)));
  const sampler = setInterval(sample, 200);
  try {
    const csv = csvStream(n);
    const [ds, uploadMs] = await timed(async () => {
      const res = await fetch(`${server.base}/api/datasets?name=million`, {
        method: 'POST', body: csv.body, duplex: 'half',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'text/csv' },
      } as RequestInit);
      const body = (await res.json()) as { id: string; rowCount: number };
      if (res.status !== 201) throw new Error(`upload: ${res.status} ${JSON.stringify(body)}`);
      return body;
    });
    const afterUpload = peakRssMb(server.pid);
    if (ds.rowCount !== n) throw new Error(`uploaded ${ds.rowCount} rows, expected ${n}`);
    await api(server.base, 'POST', '/api/experiments', {
      slug: 'million', name: 'million', dataset: { datasetId: ds.id },
      targets: [{ id: 'upper', type: 'code', code: 'return row.question.toUpperCase()' }],
      evaluators: [{ id: 'exact', type: 'langevals/exact_match', inputs: { output: 'output', expected_output: 'row.expected' } }],
      execution: { concurrency: 50 },
    });
    const cpu0 = cpuMs(server.pid);
    const t0 = performance.now();
    const [started, postMs] = await timed(() => api(server.base, 'POST', '/api/experiments/million/run'));
    const run = await waitEnded(server, started.runId, sample);
    const wallMs = performance.now() - t0;
    const cpu = cpuMs(server.pid) - cpu0;
    const runPeak = peakRssMb(server.pid);
    const s = run.summary;
    if (run.status !== 'completed' || s.totalCells !== n || s.totalPassed !== n) throw new Error(`expected ${n} passing cells, got ${run.status} ${JSON.stringify(s).slice(0, 300)}`);

    const [, summaryMs] = await timed(() => api(server.base, 'GET', `/api/experiments/runs/${started.runId}`));
    const [first, firstMs] = await timed(() => api(server.base, 'GET', `/api/experiments/runs/${started.runId}/results?offset=0&limit=1000`));
    const [last, lastMs] = await timed(() => api(server.base, 'GET', `/api/experiments/runs/${started.runId}/results?offset=${n - 1000}&limit=1000`));
    if (first.dataset.length !== 1000 || last.dataset[999]?.index !== n - 1) throw new Error('results pages are not what was expected');
    const [csvOut, csvMs] = await timed(() => readExport(server.base, started.runId, 'csv'));
    const [jsonl, jsonlMs] = await timed(() => readExport(server.base, started.runId, 'jsonl'));
    if (csvOut.lines !== n + 1 || jsonl.lines !== n) throw new Error(`exports have ${csvOut.lines} CSV and ${jsonl.lines} JSONL lines`);
    const peak = peakRssMb(server.pid);

    print('| upload (CSV, streamed) | POST /run answered | run wall time | cells/s | CPU ms/cell | peak RSS: upload / run / overall |');
    print('|---:|---:|---:|---:|---:|---:|');
    print(
      `| ${(uploadMs / 1000).toFixed(1)} s (${(csv.bytes() / 1e6).toFixed(1)} MB) | **${postMs.toFixed(0)} ms** | ${(wallMs / 1000).toFixed(1)} s | ` +
        `${((n * 1000) / wallMs).toFixed(0)} | ${(cpu / n).toFixed(3)} | ${afterUpload.toFixed(0)} / ${runPeak.toFixed(0)} / **${peak.toFixed(0)} MB** |`,
    );
    print('');
    print('| GET run (summary) | results page 0 (1,000 cells) | results page at the end | export CSV | export JSONL |');
    print('|---:|---:|---:|---:|---:|');
    print(
      `| ${summaryMs.toFixed(0)} ms | ${firstMs.toFixed(0)} ms | ${lastMs.toFixed(0)} ms | ` +
        `${(csvMs / 1000).toFixed(1)} s (${(csvOut.bytes / 1e6).toFixed(0)} MB) | ${(jsonlMs / 1000).toFixed(1)} s (${(jsonl.bytes / 1e6).toFixed(0)} MB) |`,
    );
    print(`\nRSS sampled every 200 ms peaked at ${rssSeen.toFixed(0)} MB; bounds: POST < ${POST_BOUND_MS} ms, peak RSS < ${RSS_BOUND_MB} MB.`);
    return postMs < POST_BOUND_MS && peak < RSS_BOUND_MB;
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}
