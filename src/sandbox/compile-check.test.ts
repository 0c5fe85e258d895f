// CompileChecker.compileBody: the one answer to "does this body compile in the sandbox", used by
// `compile` and by the save-time check. A missing isolated-vm is `unavailable`, not the code's fault.
import { describe, expect, it, vi } from 'vitest';

const failLoad = vi.hoisted(() => ({ on: false }));
vi.mock('./load-ivm.js', async (original) => {
  const real = await original<typeof import('./load-ivm.js')>();
  return { loadIvm: () => (failLoad.on ? Promise.reject(new Error('Cannot find module isolated-vm')) : real.loadIvm()) };
});

const { CompileChecker } = await import('./compile-check.js');

describe('CompileChecker.compileBody', () => {
  const checker = new CompileChecker();

  it('wraps the body as the sandbox runs it and reports the line', async () => {
    expect(await checker.compileBody('return row', ['row'])).toEqual({ status: 'compiles', script: '(async function (row) {\nreturn row\n})', lines: 1 });
    const bad = await checker.compileBody('const a = 1;\nreturn a +;', ['row']);
    expect(bad.status === 'compile_error' && bad.error.message).toBe("code does not compile: Unexpected token ';' (line 2)");
    // Nesting deeper than V8's parser goes is a RangeError, refused all the same.
    const deep = await checker.compileBody(`return ${'['.repeat(100_000)}${']'.repeat(100_000)}`, ['row']);
    expect(deep.status).toBe('compile_error');
  });

  it('answers unavailable when isolated-vm cannot be loaded', async () => {
    failLoad.on = true;
    try {
      expect(await checker.compileBody('return (', ['row'])).toEqual({ status: 'unavailable', message: 'code could not be loaded: Cannot find module isolated-vm' });
    } finally {
      failLoad.on = false;
    }
  });

  it('compiles many large bodies at once, as one save of fifty code targets asks', async () => {
    // A 200 KB table each: compiled together on the shared checker, 16 compiled and the rest came
    // back "Isolate was disposed during execution due to memory limit" or "Isolate is disposed",
    // reported as the code's compile error (to whichever project's save or run was queued then).
    const table = (i: number) => `// table ${i}\nreturn [${'1,'.repeat(99_950)}1][row.i]`;
    const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => checker.compileBody(table(i), ['row'])));
    expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 50 }, () => 'compiles'));
    // And after them, a small body with a syntax error is still the code's own error.
    const bad = await checker.compileBody('return (', ['row']);
    expect(bad.status === 'compile_error' && bad.error.message).toMatch(/^code does not compile: Unexpected token/);
  }, 60_000);
});
