// Shared checks for the hostile-input suites (issue 6): every answer is bounded in time, never
// a 500, and an error is a JSON object with a string `error`; the server keeps answering
// /healthz. Seeds are fixed per suite (reproducible) and can be overridden with FC_SEED.
import { expect } from 'vitest';
import type { TestAssay } from '../../src/testing/harness.js';
import { threadWaitMs } from '../../src/targets/thread-wait.js';

/** The fast-check seed of a suite: FC_SEED when set, else the suite's own fixed seed. */
export function seedFor(fallback: number): number {
  const fromEnv = Number(process.env.FC_SEED);
  return Number.isInteger(fromEnv) ? fromEnv : fallback;
}

/** Resolves with `promise`, or fails the test when it takes longer than `ms` (a hang). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks an answer: below 500, and unless it is a 204 or a stream, a JSON object (with a
 * string `error` when it is an error). Returns the parsed body (or null). SSE bodies are
 * cancelled, not read: closing a stream must not affect anything.
 */
export async function saneAnswer(res: Response, what: string): Promise<Record<string, unknown> | null> {
  expect(res.status, what).toBeLessThan(500);
  const type = res.headers.get('content-type') ?? '';
  if (res.status === 204) return null;
  if (res.status < 300 && !type.includes('application/json')) {
    await res.body?.cancel().catch(() => undefined);
    return null;
  }
  expect(type, `${what}: content type`).toContain('application/json');
  const text = await within(res.text(), 5_000, `${what}: body`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${what}: answer ${res.status} is not JSON: ${text.slice(0, 200)}`);
  }
  expect(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${what}: a JSON object`).toBe(true);
  const body = parsed as Record<string, unknown>;
  if (res.status >= 400) expect(typeof body.error, `${what}: string error in ${text.slice(0, 200)}`).toBe('string');
  return body;
}

/** /healthz answers 200 within `ms` (the server is alive and its event loop is not blocked). */
export async function expectHealthy(t: TestAssay, ms = 1_000): Promise<number> {
  const started = performance.now();
  const res = await within(t.req('GET', '/healthz', { key: null }), ms, '/healthz');
  const elapsed = performance.now() - started;
  expect(res.status).toBe(200);
  expect(elapsed, '/healthz latency').toBeLessThan(ms);
  await res.body?.cancel().catch(() => undefined);
  return elapsed;
}

/**
 * Asks /healthz every `everyMs` until stopped; `stop()` resolves with the worst delay between
 * when a probe was due and when its answer arrived. In-process requests share the server's
 * event loop, so a blocked loop shows up as a late timer as much as a slow answer: both
 * count. Start it before the attack.
 *
 * Time the main thread spent waiting for a CPU (Linux's run-queue figure, thread-wait.ts) is
 * not counted: it is the machine's load, not something the attack made the server do. A shared
 * 2-core CI box kept a probe waiting 206 ms beside a save whose check ran off the main thread.
 * Where the figure is unknown, the delay is wall time.
 */
export function healthProbe(t: TestAssay, everyMs = 20): { stop(): Promise<number> } {
  const state = { stopped: false };
  let worst = 0;
  const loop = (async () => {
    let due = performance.now();
    let waited = threadWaitMs() ?? 0;
    const held = () => performance.now() - due - ((threadWaitMs() ?? 0) - waited);
    while (!state.stopped) {
      const res = await t.req('GET', '/healthz', { key: null });
      const text = await res.text();
      expect(res.status, `/healthz: ${text}`).toBe(200);
      worst = Math.max(worst, held());
      due = performance.now() + everyMs;
      waited = threadWaitMs() ?? 0;
      await new Promise((r) => setTimeout(r, everyMs));
      worst = Math.max(worst, held());
    }
  })();
  return {
    async stop() {
      state.stopped = true;
      await loop;
      return worst;
    },
  };
}

/** Prototype pollution check: nothing any request did reached Object.prototype. */
export function expectNoPollution(): void {
  const probe = {} as Record<string, unknown>;
  for (const key of ['polluted', 'isAdmin', 'x']) expect(probe[key], `Object.prototype.${key}`).toBeUndefined();
}

/** Runs `attack` while probing /healthz (see healthProbe); resolves with the worst delay seen. */
export async function probing(t: TestAssay, attack: () => Promise<void>): Promise<number> {
  const probe = healthProbe(t);
  // The probe is stopped even when the attack fails: it must not outlive the server.
  const outcome = await attack().then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  const worst = await probe.stop();
  if (!outcome.ok) throw outcome.error;
  return worst;
}
