// Memory that escaped the code sandbox's 128 MB limit (security review, item 1): WebAssembly
// memories, and resizable or growable buffers, are reserved by V8 itself rather than through
// the allocator isolated-vm counts, so a code target or custom code evaluator could take the
// server to gigabytes (3.3 GB for one `new WebAssembly.Memory({initial: 49152})`). Each attack
// below asks for 1 GiB and touches it; each must end its cell (or evaluation) with a clear
// error while the server's RSS stays small. A plain buffer or typed array past the limit must
// end with the memory-limit error, as a heap bomb does. See docs/decisions.md ("Code sandbox").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsolatedSandbox } from '../../src/sandbox/isolated.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { startRun, waitForRun } from '../../src/testing/runs.js';

/** A wasm module whose exported memory `m` starts at 16384 pages (1 GiB). */
const BIG_MEMORY_WASM = [0, 97, 115, 109, 1, 0, 0, 0, 5, 5, 1, 0, 0x80, 0x80, 0x01, 7, 5, 1, 1, 109, 2, 0];
const GIB = 2 ** 30;

/** Each attack allocates 1 GiB outside the heap and writes to all of it (so it is resident). */
const ATTACKS: Record<string, string> = {
  'wasm-memory': 'const m = new WebAssembly.Memory({ initial: 16384 }); new Uint8Array(m.buffer).fill(1); return m.buffer.byteLength;',
  'wasm-instantiate': `const { instance } = await WebAssembly.instantiate(new Uint8Array(${JSON.stringify(BIG_MEMORY_WASM)})); new Uint8Array(instance.exports.m.buffer).fill(1); return instance.exports.m.buffer.byteLength;`,
  'wasm-grow': 'const m = new WebAssembly.Memory({ initial: 1, maximum: 16385 }); for (let i = 0; i < 16; i++) { m.grow(1024); new Uint8Array(m.buffer).fill(1); } return m.buffer.byteLength;',
  resizable: `const b = new ArrayBuffer(0, { maxByteLength: ${GIB} }); b.resize(${GIB}); new Uint8Array(b).fill(1); return b.byteLength;`,
  'resizable-at-once': `const b = new ArrayBuffer(${GIB}, { maxByteLength: ${GIB} }); new Uint8Array(b).fill(1); return b.byteLength;`,
  'growable-shared': `const b = new SharedArrayBuffer(0, { maxByteLength: ${GIB} }); b.grow(${GIB}); new Uint8Array(b).fill(1); return b.byteLength;`,
  'array-buffer': `const b = new ArrayBuffer(${GIB}); new Uint8Array(b).fill(1); return b.byteLength;`,
  'shared-array-buffer': `const b = new SharedArrayBuffer(${GIB}); new Uint8Array(b).fill(1); return b.byteLength;`,
  'typed-array': `const a = new Float64Array(${GIB / 8}); a.fill(1); return a.length;`,
  'many-buffers': 'const kept = []; for (let i = 0; i < 16; i++) { const b = new ArrayBuffer(2 ** 26); new Uint8Array(b).fill(1); kept.push(b); } return kept.length;',
  // ICU formatters live outside the heap: 20,000 of them held 547 MB before Intl was removed.
  'intl-formatters': "const kept = []; for (let i = 0; i < 20000; i++) kept.push(new Intl.DateTimeFormat('en-US')); return kept.length;",
};
const NO_WASM = /^code threw: WebAssembly is not defined \(line \d+\)$/;
const NO_INTL = /^code threw: Intl is not defined \(line \d+\)$/;
const NO_RESIZABLE = /^code threw: resizable (Shared)?ArrayBuffers are not available in the sandbox/;
const MEMORY_LIMIT = 'code exceeded the 128 MB memory limit';
const EXPECTED: Record<string, RegExp | string> = {
  'wasm-memory': NO_WASM,
  'wasm-instantiate': NO_WASM,
  'wasm-grow': NO_WASM,
  resizable: NO_RESIZABLE,
  'resizable-at-once': NO_RESIZABLE,
  'growable-shared': NO_RESIZABLE,
  'array-buffer': MEMORY_LIMIT,
  'shared-array-buffer': MEMORY_LIMIT,
  'typed-array': MEMORY_LIMIT,
  'many-buffers': MEMORY_LIMIT,
  'intl-formatters': NO_INTL,
};
const NAMES = Object.keys(ATTACKS);
/** The attack named by `name`, as code that runs it. */
const DISPATCH = `switch (NAME) {\n${NAMES.map((n) => `  case ${JSON.stringify(n)}: { ${ATTACKS[n]} }`).join('\n')}\n}\nreturn 'nothing';`;

/** RSS growth allowed while the attacks run: each broken attack alone adds 1 GiB. */
const MAX_GROWTH_MB = 250;

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

/** Runs `work` while sampling this process's RSS; answers the work's result and the peak (MB). */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; baseMb: number; peakMb: number }> {
  const mb = (): number => process.memoryUsage().rss / 1024 / 1024;
  const baseMb = mb();
  let peakMb = baseMb;
  const timer = setInterval(() => (peakMb = Math.max(peakMb, mb())), 10);
  try {
    const result = await work();
    return { result, baseMb, peakMb: Math.max(peakMb, mb()) };
  } finally {
    clearInterval(timer);
  }
}

interface Results {
  dataset: { index: number; error: string | null; predicted?: { output: unknown } }[];
  evaluations: { index: number; status: string; details: string | null }[];
}

describe('sandbox memory outside the limit', () => {
  it('ends WebAssembly and resizable-buffer attacks of code targets with clear errors, RSS staying small', async () => {
    const doc = {
      slug: 'wasm-target', name: 'Wasm target',
      // The last row is ordinary: it runs after every attack, and the run is not all failures.
      dataset: { rows: [...NAMES, 'none'].map((attack) => ({ attack })) },
      targets: [{ id: 'bomb', type: 'code', code: `const NAME = row.attack;\n${DISPATCH}`, timeoutMs: 20_000 }],
      execution: { concurrency: 1, maxRetries: 0, timeoutMs: 60_000 },
    };
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const { result: res, baseMb, peakMb } = await sampled(async () => {
      const run = await waitForRun(t, await startRun(t, 'wasm-target'), 120_000);
      expect(run.status).toBe('completed');
      return (await (await t.req('GET', `/api/experiments/runs/${run.runId}/results`)).json()) as Results;
    });
    console.log(`code target attacks: RSS ${baseMb.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB`);
    expect(peakMb - baseMb).toBeLessThan(MAX_GROWTH_MB);
    expect(peakMb).toBeLessThan(600);
    expect(res.dataset).toHaveLength(NAMES.length + 1);
    for (const cell of res.dataset) {
      const name = NAMES[cell.index];
      if (name === undefined) expect(cell).toMatchObject({ error: null, predicted: { output: 'nothing' } });
      else expect(cell.error ?? 'no error', name).toMatch(EXPECTED[name]!);
    }
  }, 180_000);

  it('does the same for custom code evaluators', async () => {
    const doc = {
      slug: 'wasm-evaluator', name: 'Wasm evaluator',
      dataset: { rows: NAMES.map((attack) => ({ attack })) },
      targets: [{ id: 'plain', type: 'code', code: 'return row.attack' }],
      evaluators: [{ id: 'bomb-eval', type: 'custom_code', settings: { code: `const NAME = output;\n${DISPATCH}`, timeoutMs: 20_000 } }],
      execution: { concurrency: 1, maxRetries: 0, timeoutMs: 60_000 },
    };
    expect((await t.req('POST', '/api/experiments', { body: doc })).status).toBe(201);
    const { result: res, baseMb, peakMb } = await sampled(async () => {
      const run = await waitForRun(t, await startRun(t, 'wasm-evaluator'), 120_000);
      expect(run.status).toBe('completed');
      return (await (await t.req('GET', `/api/experiments/runs/${run.runId}/results`)).json()) as Results;
    });
    console.log(`evaluator attacks: RSS ${baseMb.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB`);
    expect(peakMb - baseMb).toBeLessThan(MAX_GROWTH_MB);
    expect(peakMb).toBeLessThan(600);
    expect(res.evaluations).toHaveLength(NAMES.length);
    for (const evaluation of res.evaluations) {
      const name = NAMES[evaluation.index]!;
      expect(evaluation.status, name).toBe('error');
      const expected = EXPECTED[name]!;
      expect(evaluation.details, name).toMatch(typeof expected === 'string' ? `custom code failed: ${expected}` : new RegExp(`^custom code failed: ${expected.source.slice(1)}`));
    }
  }, 180_000);

  it('leaves no way back to WebAssembly or to the resizable-buffer constructors', async () => {
    // Walks everything reachable from the global object (own properties, accessors, prototypes)
    // without calling getters, looking for a wasm object (their toStringTag starts with
    // "WebAssembly") or a buffer constructor other than the global one.
    const fn = await new IsolatedSandbox().compile(
      `
      const seen = new Set(), found = [], queue = [[globalThis, 'globalThis']];
      const buffers = [ArrayBuffer.prototype, SharedArrayBuffer.prototype];
      while (queue.length > 0) {
        const [value, path] = queue.shift();
        if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
        seen.add(value);
        const tag = Object.getOwnPropertyDescriptor(value, Symbol.toStringTag);
        if (tag && typeof tag.value === 'string' && tag.value.startsWith('WebAssembly')) found.push(path);
        if (typeof value === 'function' && buffers.includes(value.prototype) && value !== ArrayBuffer && value !== SharedArrayBuffer) found.push(path);
        queue.push([Object.getPrototypeOf(value), path + '.__proto__']);
        for (const key of Reflect.ownKeys(value)) {
          const d = Object.getOwnPropertyDescriptor(value, key);
          for (const part of ['value', 'get', 'set']) if (d[part] !== undefined) queue.push([d[part], path + '.' + String(key)]);
        }
      }
      return { found, objects: seen.size, wasm: typeof WebAssembly, viaEval: (0, eval)('typeof WebAssembly'), viaFunction: Function('return typeof WebAssembly')() };
      `,
      { params: [], timeoutMs: 10_000 },
    );
    try {
      const report = (await fn.call([], new AbortController().signal)) as Record<string, unknown>;
      expect(report).toMatchObject({ found: [], wasm: 'undefined', viaEval: 'undefined', viaFunction: 'undefined' });
      expect(report.objects).toBeGreaterThan(500);
    } finally {
      fn.dispose();
    }
  });
});
