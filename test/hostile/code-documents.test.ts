// Code that does not compile is refused when the experiment is saved (SPEC §4: "invalid documents
// are refused at save time with the field named, never at run time"): code targets, custom code
// evaluators and custom code members of an evaluator set. The save compiles the code the way a
// run does (the sandbox's wrapper, parameters and V8), so a save is refused exactly when a run
// would fail every cell with "code does not compile" — random bodies are checked against the
// sandbox itself. A refused save changes nothing stored; a large body holds the server briefly.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODE_PARAMS } from '../../src/evaluators/custom-code.js';
import { IsolatedSandbox } from '../../src/sandbox/isolated.js';
import { startTestAssay, type TestAssay } from '../../src/testing/harness.js';
import { CODE_TARGET_PARAMS } from '../../src/targets/code.js';
import { expectHealthy, probing, saneAnswer, seedFor, within } from './support.js';

const SEED = seedFor(60603);

let t: TestAssay;
beforeAll(async () => {
  t = await startTestAssay();
});
afterAll(() => t.close());

type Path = (string | number)[];
interface Issue {
  path: Path;
  message: string;
}

function doc(targetCode: string, evaluators: unknown[] = []) {
  return {
    name: 'Code',
    dataset: { rows: [{ q: 'a' }] },
    targets: [
      { id: 'echo', type: 'code', code: 'return row.q' },
      { id: 'mine', type: 'code', code: targetCode },
    ],
    evaluators,
  };
}

async function save(method: 'POST' | 'PUT', url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await within(t.req(method, url, { body }), 10_000, `${method} ${url}`);
  return { status: res.status, body: (await saneAnswer(res, `${method} ${url}`))! };
}

describe('code that does not compile, at save time', () => {
  it('refuses a code target with a syntax error naming the field, the compiler message and the line', async () => {
    const { status, body } = await save('POST', '/api/experiments', doc('const a = 1;\nconst b = ;\nreturn a'));
    expect(status).toBe(400);
    expect(body.error).toBe('validation_error');
    const issues = body.issues as Issue[];
    expect(issues).toEqual([{ path: ['targets', 1, 'code'], message: "code does not compile: Unexpected token ';' (line 2)" }]);
    expect(body.message).toContain('targets.1.code');
  });

  it('names the end of the code when a bracket is left open', async () => {
    const { status, body } = await save('POST', '/api/experiments', doc('if (row.q) {\n  return 1;\n'));
    expect(status).toBe(400);
    expect((body.issues as Issue[])[0]).toEqual({ path: ['targets', 1, 'code'], message: "code does not compile: Unexpected token ')' at the end of the code (line 3)" });
  });

  it('refuses custom code evaluators, top-level and inside a set, at their settings path', async () => {
    const evaluators = [
      { id: 'ok', type: 'custom_code', settings: { code: 'return true' } },
      { id: 'bad', type: 'code/abc', settings: { code: 'return output ===' } },
      { id: 'set', type: 'evaluator_set', settings: { evaluators: [{ id: 'm0', type: 'exact_match' }, { id: 'm1', type: 'custom_code', settings: { code: 'return {' } }] } },
    ];
    const { status, body } = await save('POST', '/api/experiments', doc('return 1', evaluators));
    expect(status).toBe(400);
    const issues = body.issues as Issue[];
    expect(issues.map((i) => i.path)).toEqual([
      ['evaluators', 1, 'settings', 'code'],
      ['evaluators', 2, 'settings', 'evaluators', 1, 'settings', 'code'],
    ]);
    for (const issue of issues) expect(issue.message).toMatch(/^code does not compile: .+ \(line 1\)$/);
  });

  it('compiles as the run does: the async wrapper and its parameters', async () => {
    // `await` is a keyword in the async function the sandbox wraps a body in…
    const asIdentifier = await save('POST', '/api/experiments', doc('var await = 1;\nreturn await'));
    expect(asIdentifier.status).toBe(400);
    expect((asIdentifier.body.issues as Issue[])[0]!.message).toBe('code does not compile: Unexpected reserved word (line 1)');
    // …so top-level await is fine, and the parameters are bound (redeclaring one with let is not).
    expect((await save('POST', '/api/experiments', doc('const v = await Promise.resolve(row.q);\nreturn v + parameters.x'))).status).toBe(201);
    const redeclared = await save('POST', '/api/experiments', doc('let row = 1;\nreturn row'));
    expect(redeclared.status).toBe(400);
    expect((redeclared.body.issues as Issue[])[0]!.message).toMatch(/^code does not compile: Identifier 'row' has already been declared \(line 1\)$/);
  });

  it('saves valid code, and a refused PUT leaves the stored experiment as it was', async () => {
    const created = await save('PUT', '/api/experiments/kept', { ...doc('return row.q.toUpperCase()'), slug: 'kept' });
    expect(created.status).toBe(201);
    const before = (await (await t.req('GET', '/api/experiments/kept')).json()) as { version: number; document: unknown; updatedAt: number };
    expect(before.version).toBe(1);

    const refused = await save('PUT', '/api/experiments/kept', { ...doc('return row.q.toUpperCase('), slug: 'kept' });
    expect(refused.status).toBe(400);
    expect((refused.body.issues as Issue[])[0]!.path).toEqual(['targets', 1, 'code']);

    const after = (await (await t.req('GET', '/api/experiments/kept')).json()) as typeof before;
    expect(after).toEqual(before);
    expect((await t.req('GET', '/api/experiments/kept?version=2')).status).toBe(404);
    // The one that was kept still runs.
    const started = await t.req('POST', '/api/experiments/kept/run');
    expect(started.status).toBe(200);
  });

  it('checks a 200,000-character body off the main thread', async () => {
    const line = 'x = x + row.q.length * 2; // a line of padding\n';
    const pad = (n: number, tail: string) => `let x = ${n};\n${line.repeat(Math.floor((200_000 - 40) / line.length))}${tail}`;
    const bodies = [pad(1, 'return x;'), pad(2, 'return x +;'), pad(3, 'return x;')];
    for (const body of bodies) expect(body.length).toBeGreaterThan(199_000);
    const timings: number[] = [];
    const worst = await probing(t, async () => {
      for (const body of bodies) {
        const started = performance.now();
        const { status, body: answer } = await save('POST', '/api/experiments', doc(body));
        timings.push(performance.now() - started);
        expect(status).toBe(body.includes('x +;') ? 400 : 201);
        if (status === 400) expect((answer.issues as Issue[])[0]!.message).toMatch(/^code does not compile: Unexpected token ';' \(line \d{4}\)$/);
      }
    });
    console.log(`200,000-character code target: saves took ${timings.map((ms) => ms.toFixed(1)).join(', ')} ms; worst /healthz delay ${worst.toFixed(1)} ms`);
    expect(worst).toBeLessThan(200);
  });
});

/** JavaScript-ish text: keywords, brackets, operators and the parameters, in any order. */
const codeArb = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'return', ' ', '\n', ';', '(', ')', '{', '}', '[', ']', '=>', '=', '+', ',', '.', '"', '`', '${', 'row', 'parameters', 'input', 'output', 'q',
        'await', 'async', 'yield', 'let', 'const', 'var', 'function', 'if', 'else', 'for', 'of', 'new', 'class', 'this', 'arguments', '1', 'x',
        '/*', '*/', '//', '/a/', '})', '(function(){', 'return 1', 'return row.q', 'import', 'export', '#x', 'super', 'delete', '?.', '??',
      ),
      fc.string({ maxLength: 2 }),
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => parts.join(''))
  .filter((code) => code.length > 0);

describe('random code at save time', () => {
  it('is refused exactly when the sandbox refuses to compile it', async () => {
    const sandbox = new IsolatedSandbox();
    const tally = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(codeArb, fc.boolean(), async (code, asEvaluator) => {
        const params = asEvaluator ? CODE_PARAMS : CODE_TARGET_PARAMS;
        const compiled = await sandbox.compile(code, { params: [...params], timeoutMs: 1000 }).then(
          (fn) => {
            fn.dispose();
            return null;
          },
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        const body = asEvaluator ? doc('return 1', [{ id: 'e', type: 'custom_code', settings: { code } }]) : doc(code);
        const { status, body: answer } = await save('POST', '/api/experiments', body);
        const what = `${asEvaluator ? 'evaluator' : 'target'} ${JSON.stringify(code)}`;
        if (compiled === null) {
          expect(status, `${what}: ${JSON.stringify(answer).slice(0, 300)}`).toBe(201);
          tally.accepted++;
          return;
        }
        tally.refused++;
        expect(status, what).toBe(400);
        const path: Path = asEvaluator ? ['evaluators', 0, 'settings', 'code'] : ['targets', 1, 'code'];
        expect(answer.issues, what).toEqual([{ path, message: compiled }]);
      }),
      { numRuns: 200, seed: SEED },
    );
    await expectHealthy(t);
    console.log(`code at save time: seed ${SEED}, 200 bodies, ${tally.accepted} accepted, ${tally.refused} refused`);
  }, 60_000);
});
