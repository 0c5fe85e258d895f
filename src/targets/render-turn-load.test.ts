// The template render limit counts the main thread's own time, not time it waited for a CPU.
// On a loaded 2-core CI machine the thread can wait 100–250 ms in the middle of a render that
// needs a millisecond, and the cell failed as a runaway template ("template render limit
// exceeded"). Here a render is made to wait on purpose: a child process pinned to CPU 0 at
// the lowest priority (nice 19; no privilege needed to lower one's own) renders a template of
// ≈ 5 ms of CPU while a spinner at nice 0 holds the same CPU, so it gets ≈ 1.5% of it and the
// render takes ≈ 300 ms of wall time. It must still render; a runaway template must still stop.
// Linux only (taskset, /proc/thread-self/schedstat): elsewhere the limit is wall time.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** The child: calibrates a loop template to ≈ 5 ms of CPU at nice 0, lowers its priority, then renders on request. */
const CHILD = `
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const { renderString } = await import(${JSON.stringify(path.resolve(import.meta.dirname, 'templates.ts'))});
const cpu = () => Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]) / 1e6;
const template = (n) => '{% for i in (1..' + n + ') %}{{ i | plus: 1 }}{% endfor %}';
function render(n) {
  const wall = performance.now();
  const used = cpu();
  try {
    renderString(template(n), {});
    return { ok: true, wallMs: performance.now() - wall, cpuMs: cpu() - used };
  } catch (error) {
    return { ok: false, error: String(error.message), wallMs: performance.now() - wall, cpuMs: cpu() - used };
  }
}
// Warm up until the optimising compiler is done with the loop: a probe taken too early measures
// slow code, and the calibrated render then needs a fraction of a millisecond and is never held.
const cost = (n) => {
  const times = [];
  for (let i = 0; i < 7; i++) times.push(render(n).cpuMs);
  return times.sort((a, b) => a - b)[3];
};
for (let i = 0; i < 40; i++) render(2000);
let n = 2000;
for (let round = 0; round < 4; round++) {
  const ms = Math.max(0.05, cost(n));
  n = Math.max(200, Math.min(400000, Math.round((n * 5) / ms)));
}
os.setPriority(19); // this thread, the one that renders
process.stdout.write(JSON.stringify({ calibrated: n, cpuMs: cost(n) }) + '\\n');
for await (const line of createInterface({ input: process.stdin })) {
  process.stdout.write(JSON.stringify(render(line === 'runaway' ? n * 200 : n)) + '\\n');
}
`;

/** Lines a process writes, one at a time. */
function lines(child: ChildProcess): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else queue.push(line);
  });
  return () => {
    const line = queue.shift();
    return line !== undefined ? Promise.resolve(line) : new Promise((resolve) => waiting.push(resolve));
  };
}

const linux = existsSync('/proc/thread-self/schedstat') && existsSync('/usr/bin/taskset');

describe('the template render limit on a loaded machine', () => {
  it.runIf(linux)('renders a template whose thread waits for a CPU past the limit, and still stops a runaway one', async () => {
    const child = spawn('/usr/bin/taskset', ['-c', '0', process.execPath, '--import', 'tsx', '--input-type=module', '-e', CHILD], {
      cwd: path.resolve(import.meta.dirname, '..', '..'),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    const next = lines(child);
    const { calibrated } = JSON.parse(await next()) as { calibrated: number };
    expect(calibrated).toBeGreaterThan(0);

    // A spinner on the same CPU at nice 0; it says when it spins.
    const spinner = spawn('/usr/bin/taskset', ['-c', '0', process.execPath, '-e', 'process.stdout.write("spinning\\n", () => { for (;;) {} })'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(spinner);
    expect(await lines(spinner)()).toBe('spinning');

    // A woken thread may run a short slice before the spinner takes the CPU back, so a render can
    // slip through unheld; it is asked again (up to five times) until one is held. Every render,
    // held or not, must succeed.
    const renders: { ok: boolean; error?: string; wallMs: number; cpuMs: number }[] = [];
    while (renders.length < 5 && !renders.some((r) => r.wallMs > 150)) {
      child.stdin!.write('render\n');
      const render = JSON.parse(await next()) as { ok: boolean; error?: string; wallMs: number; cpuMs: number };
      expect(render, JSON.stringify(render)).toMatchObject({ ok: true });
      renders.push(render);
    }
    // One render was held up well past the 100 ms limit while it used less than half of it.
    const held = renders.find((r) => r.wallMs > 150);
    expect(held, JSON.stringify(renders)).toBeDefined();
    expect(held!.cpuMs, JSON.stringify(held)).toBeLessThan(100);

    // Without the spinner, 200 times that template is a runaway: stopped at the limit.
    spinner.kill('SIGKILL');
    child.stdin!.write('runaway\n');
    const runaway = JSON.parse(await next()) as { ok: boolean; error?: string; wallMs: number; cpuMs: number };
    expect(runaway.ok, JSON.stringify(runaway)).toBe(false);
    expect(runaway.error).toMatch(/template render limit exceeded/);
    child.stdin!.end();
  }, 60_000);
});
