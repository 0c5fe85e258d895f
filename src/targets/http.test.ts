import { noModels } from '../testing/no-models.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TargetDeps } from '../core/model/adapters.js';
import { httpTargetSchema } from '../core/model/experiment.js';
import { CallError, type TargetAdapter } from '../core/model/results.js';
import { type FakeAgent, startFakeAgent } from '../testing/fake-agent.js';
import { createHttpTarget, type HttpTargetOptions } from './http.js';

const SECRET = 'sk-very-secret-token-123';
const PASSWORD = 'pa$$word-xyz-987';

const deps: TargetDeps = {
  sandbox: { compile: () => Promise.reject(new Error('no sandbox in these tests')) },
  secrets: { TOKEN: SECRET, PASSWORD, UNUSED: 'unused-secret-value' },
  allowPrivateNetworks: true,
  models: noModels,
  cache: null,
};

let agent: FakeAgent;

beforeAll(async () => {
  agent = await startFakeAgent();
});
afterAll(async () => {
  await agent.close();
});
beforeEach(() => {
  agent.setBehaviour({ latencyMs: 0, failRate: 0, hangRate: 0, resetRate: 0, malformedRate: 0, handler: undefined, retryAfter: undefined, retryAfterMs: undefined });
});

function target(spec: Record<string, unknown>, overrides: Partial<TargetDeps> = {}, options: HttpTargetOptions = {}): TargetAdapter {
  return createHttpTarget(httpTargetSchema.parse({ id: 'bot', type: 'http', url: agent.url, ...spec }), { ...deps, ...overrides }, options);
}

function call(
  t: TargetAdapter,
  row: Record<string, unknown> = { question: 'hello' },
  signal = new AbortController().signal,
  parameters: Record<string, string> = { lang: 'fr' },
) {
  return t.call({ row, parameters, signal });
}

async function failure(promise: Promise<unknown>): Promise<CallError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CallError);
  return error as CallError;
}

const last = () => agent.requests[agent.requests.length - 1]!;

describe('HTTP target: requests', () => {
  it('POSTs the rendered JSON body and selects the output with outputPath', async () => {
    const t = target({ body: { message: '{{question}}', lang: '{{parameters.lang}}', history: '{{ history }}' }, outputPath: '$.reply' });
    const result = await call(t, { question: 'What is "it"?\nTell me', history: [{ role: 'user', content: 'hi' }] });
    expect(result).toEqual({ output: 'What is "it"?\nTell me' });
    const request = last();
    expect(request.method).toBe('POST');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ message: 'What is "it"?\nTell me', lang: 'fr', history: [{ role: 'user', content: 'hi' }] });
    expect(t.limitKey).toBe(`http:${agent.url}`);
  });

  it('sends a string body with every output JSON-escaped', async () => {
    const t = target({ body: '{"message": "{{question}}", "n": {{n}}}', outputPath: '$.reply' });
    const result = await call(t, { question: 'quote " backslash \\ newline \n done', n: 4 });
    expect(result.output).toBe('quote " backslash \\ newline \n done');
    expect(last().headers['content-type']).toBe('application/json');
    expect(last().body).toEqual({ message: 'quote " backslash \\ newline \n done', n: 4 });
  });

  it('uses the method, URL-encodes URL outputs and sends no body with GET', async () => {
    const t = target({ method: 'GET', url: `${agent.url}/ask/{{question}}?lang={{parameters.lang}}` });
    await call(t, { question: 'a/b & c?' });
    expect(last().method).toBe('GET');
    expect(last().url).toBe('/ask/a%2Fb%20%26%20c%3F?lang=fr');
    expect(last().text).toBe('');
    await call(target({ method: 'GET', url: '{{ parameters.base }}/q/{{ question }}' }), { question: 'x y' }, undefined, { base: agent.url });
    expect(last().url).toBe('/q/x%20y');
    await call(target({ method: 'PUT', body: { message: 'x' } }));
    expect(last().method).toBe('PUT');
    expect(last().body).toEqual({ message: 'x' });
  });

  it('renders headers and the three auth forms', async () => {
    await call(target({ headers: { 'X-Row': '{{question}}', 'X-Token': '{{secrets.TOKEN}}' }, auth: { type: 'bearer', token: '{{secrets.TOKEN}}' } }));
    expect(last().headers['x-row']).toBe('hello');
    expect(last().headers['x-token']).toBe(SECRET);
    expect(last().headers.authorization).toBe(`Bearer ${SECRET}`);

    await call(target({ auth: { type: 'basic', username: 'user-{{parameters.lang}}', password: '{{secrets.PASSWORD}}' } }));
    expect(last().headers.authorization).toBe(`Basic ${Buffer.from(`user-fr:${PASSWORD}`).toString('base64')}`);

    await call(target({ auth: { type: 'api_key', header: 'X-Api-Key', value: '{{secrets.TOKEN}}' } }));
    expect(last().headers['x-api-key']).toBe(SECRET);
  });

  it('refuses a body that reads secrets even if one slipped past validation (secrets are not in its scope)', async () => {
    await call(target({ body: { message: '[{{ secrets.TOKEN }}]' } }));
    expect(last().body).toEqual({ message: '[]' });
  });

  it('refuses header values with control characters, before sending anything', async () => {
    const before = agent.calls;
    const error = await failure(call(target({ headers: { 'X-Row': '{{question}}' } }), { question: 'two\nlines' }));
    expect(error.message).toBe('invalid value for header X-Row (control characters are not allowed)');
    expect(error.retryable).toBe(false);
    expect(agent.calls).toBe(before);
    // Surrounding whitespace is trimmed, as fetch's Headers did.
    await call(target({ headers: { 'X-Row': '{{question}}' } }), { question: '  padded\n' });
    expect(last().headers['x-row']).toBe('padded');
  });

  it('fails clearly when a referenced secret is not set', async () => {
    const error = await failure(call(target({ headers: { 'X-Key': '{{secrets.NOPE}}' } })));
    expect(error.message).toBe('secret "NOPE" is not set');
    expect(error.retryable).toBe(false);
  });
});

describe('HTTP target: answers', () => {
  it('returns the whole JSON body without outputPath, and text bodies as text', async () => {
    expect((await call(target({ body: { message: 'x' } }))).output).toEqual({ reply: 'x' });
    agent.setBehaviour({ handler: () => ({ body: 'plain answer' }) });
    expect((await call(target({}))).output).toBe('plain answer');
  });

  it('selects nested and multiple values with JSONPath', async () => {
    agent.setBehaviour({ handler: () => ({ body: { choices: [{ message: { content: 'a' } }, { message: { content: 'b' } }], usage: { n: 0 } } }) });
    expect((await call(target({ outputPath: '$.choices[0].message.content' }))).output).toBe('a');
    expect((await call(target({ outputPath: '$.choices[*].message.content' }))).output).toEqual(['a', 'b']);
    expect((await call(target({ outputPath: '$.usage.n' }))).output).toBe(0);
  });

  it('fails (not retryable) when outputPath matches nothing, quoting the body', async () => {
    const error = await failure(call(target({ body: { message: 'hi' }, outputPath: '$.answer' })));
    expect(error.message).toBe('outputPath $.answer matched nothing in the response: {"reply":"hi"}');
    expect(error.retryable).toBe(false);
  });

  it('says an answer is not JSON when outputPath has nothing to read in an HTML page', async () => {
    agent.setBehaviour({ handler: () => ({ headers: { 'content-type': 'text/html' }, body: '<html>hi</html>' }) });
    const error = await failure(call(target({ outputPath: '$.reply' })));
    expect(error.message).toMatch(/^outputPath \$\.reply has nothing to read: the response from http:\/\/127\.0\.0\.1:\d+ is not JSON \(content-type text\/html\): <html>hi<\/html>$/);
    expect(error.retryable).toBe(false);
  });

  it('treats malformed JSON as a final error', async () => {
    agent.setBehaviour({ malformedRate: 1 });
    const error = await failure(call(target({ body: { message: 'x' } })));
    expect(error.message).toMatch(/^invalid JSON from http:\/\/127\.0\.0\.1:\d+: \{"reply": "unterminated$/);
    expect(error.retryable).toBe(false);
  });

  it('makes 429 and 503 retryable with retryAfterMs, and 400 final', async () => {
    agent.setBehaviour({ failRate: 1, failStatus: 429, retryAfter: 2 });
    const limited = await failure(call(target({ body: { message: 'x' } })));
    expect(limited).toMatchObject({ retryable: true, status: 429, retryAfterMs: 2000 });
    expect(limited.message).toBe(`HTTP 429 from ${agent.url}: {"error":"fake failure 429"}`);

    agent.setBehaviour({ failStatus: 503, retryAfter: undefined, retryAfterMs: 150 });
    expect(await failure(call(target({})))).toMatchObject({ retryable: true, status: 503, retryAfterMs: 150 });

    agent.setBehaviour({ failStatus: 400, retryAfterMs: undefined });
    const bad = await failure(call(target({})));
    expect(bad).toMatchObject({ retryable: false, status: 400, retryAfterMs: undefined });

    for (const [status, retryable] of [[408, true], [425, true], [500, true], [404, false], [422, false]] as const) {
      agent.setBehaviour({ failStatus: status });
      expect((await failure(call(target({})))).retryable, String(status)).toBe(retryable);
    }
  });

  it('refuses an answer over 10 MiB (and only quotes the head of an error body)', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024 + 1);
    agent.setBehaviour({ handler: (req) => ({ status: req.url === '/error' ? 500 : 200, body: big }) });
    const error = await failure(call(target({})));
    expect(error.message).toBe(`response from ${agent.url} is larger than 10 MiB`);
    expect(error.retryable).toBe(false);
    const status = await failure(call(target({ url: `${agent.url}/error` })));
    expect(status.message).toBe(`HTTP 500 from ${agent.url}: ${'x'.repeat(200)}…`);
    // The connection dropped mid-body does not spoil the next call.
    agent.setBehaviour({ handler: undefined });
    expect((await call(target({ body: { message: 'after' } }))).output).toEqual({ reply: 'after' });
  });

  it('times out (retryable) at the target timeout', async () => {
    agent.setBehaviour({ hangRate: 1 });
    const started = Date.now();
    const error = await failure(call(target({ timeoutMs: 150 })));
    expect(error.message).toBe('timed out after 150 ms');
    expect(error.retryable).toBe(true);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("treats the engine signal's timeout as a timeout and any other abort as a stop", async () => {
    agent.setBehaviour({ hangRate: 1 });
    const timedOut = await failure(call(target({}), undefined, AbortSignal.timeout(100)));
    expect(timedOut.retryable).toBe(true);
    expect(timedOut.message).toMatch(/^timed out after \d+ ms$/);

    const controller = new AbortController();
    const stop = new Error('run stopped');
    setTimeout(() => controller.abort(stop), 50);
    await expect(call(target({ timeoutMs: 5000 }), undefined, controller.signal)).rejects.toBe(stop);
  });

  it('makes connection resets and refused connections retryable, naming the code', async () => {
    agent.setBehaviour({ resetRate: 1 });
    const reset = await failure(call(target({})));
    expect(reset.retryable).toBe(true);
    expect(reset.message).toMatch(/^network error calling http:\/\/127\.0\.0\.1:\d+: .*\((ECONNRESET|UND_ERR_SOCKET)\)$/);

    const closed = await startFakeAgent();
    const url = closed.url;
    await closed.close();
    const refused = await failure(call(target({ url })));
    expect(refused.retryable).toBe(true);
    expect(refused.message).toMatch(/\(ECONNREFUSED\)$/);
  });
});

describe('HTTP target: secrets', () => {
  it('redacts secrets the agent echoes back, in outputs and in errors', async () => {
    agent.setBehaviour({
      handler: (req) => ({
        status: req.url.includes('fail') ? 400 : 200,
        body: { reply: `you sent ${String(req.headers.authorization)} and ${String(req.headers['x-token'])}`, [String(req.headers['x-token'])]: [SECRET] },
      }),
    });
    const spec = { headers: { 'X-Token': '{{secrets.TOKEN}}' }, auth: { type: 'bearer', token: '{{secrets.TOKEN}}' } };
    const ok = await call(target(spec));
    expect(JSON.stringify(ok)).not.toContain(SECRET);
    expect(ok.output).toEqual({ reply: 'you sent Bearer [redacted] and [redacted]', '[redacted]': ['[redacted]'] });

    const error = await failure(call(target({ ...spec, url: `${agent.url}/fail?k={{secrets.TOKEN}}` })));
    expect(error.message).not.toContain(SECRET);
    expect(error.message).toContain('[redacted]');
  });

  it('redacts basic credentials, also in their base64 form', async () => {
    agent.setBehaviour({ handler: (req) => ({ status: 401, body: { error: `bad credentials ${String(req.headers.authorization)}` } }) });
    const error = await failure(call(target({ auth: { type: 'basic', username: 'bob', password: '{{secrets.PASSWORD}}' } })));
    const encoded = Buffer.from(`bob:${PASSWORD}`).toString('base64');
    expect(error.message).not.toContain(encoded);
    expect(error.message).toBe(`HTTP 401 from ${agent.url}: {"error":"bad credentials Basic [redacted]"}`);
  });

  it('quotes no URL rendered from secrets in its error, and quotes one that reads none', async () => {
    const error = await failure(call(target({ url: 'notaurl-{{secrets.TOKEN | upcase}}' })));
    expect(error.message).toBe('invalid URL: (not shown: the URL template reads secrets)');
    expect((await failure(call(target({ url: 'notaurl-{{question}}' })))).message).toBe('invalid URL: notaurl-hello');
  });
});

describe('HTTP target: private networks', () => {
  const closedNetwork = { allowPrivateNetworks: false };

  it('refuses loopback addresses when private networks are not allowed', async () => {
    const before = agent.calls;
    const error = await failure(call(target({}, closedNetwork)));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(`refused to call ${agent.url}: it is a loopback address; private networks are not allowed`);
    expect(agent.calls).toBe(before);
  });

  it('refuses host names resolving to private addresses', async () => {
    const resolve = async (): Promise<string[]> => ['10.0.0.7'];
    const error = await failure(call(target({ url: `http://intranet.test:${agent.port}/` }, closedNetwork, { resolve })));
    expect(error.message).toMatch(/intranet\.test resolves to 10\.0\.0\.7, a private address/);
  });

  it('refuses a host name that resolves to 127.0.0.1 when the guard is on, and calls it when off', async () => {
    const lookups: string[] = [];
    const resolve = async (host: string): Promise<string[]> => {
      lookups.push(host);
      return ['127.0.0.1'];
    };
    const before = agent.calls;
    const error = await failure(call(target({ url: `http://rebind.test:${agent.port}/` }, closedNetwork, { resolve })));
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `refused to call http://rebind.test:${agent.port}: rebind.test resolves to 127.0.0.1, a loopback address; private networks are not allowed`,
    );
    expect(lookups).toEqual(['rebind.test']);
    expect(agent.calls).toBe(before);

    // The same, end to end with the system resolver: "localhost" is refused, then allowed.
    const guarded = await failure(call(target({ url: `http://localhost:${agent.port}/` }, closedNetwork)));
    expect(guarded.retryable).toBe(false);
    expect(guarded.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address; private networks are not allowed$/);
    expect(agent.calls).toBe(before);
    expect((await call(target({ url: `http://localhost:${agent.port}/`, body: { message: 'open' } }))).output).toEqual({ reply: 'open' });
    expect(agent.calls).toBe(before + 1);
  });

  it('connects to the address it checked, never to a second lookup of the name', async () => {
    // Only the test resolver knows "checked.test"; the classifier pretends 127.0.0.1 is public.
    // The call reaching the agent proves the socket used the checked address (DNS rebinding).
    const resolve = async (host: string): Promise<string[]> => (host === 'checked.test' ? ['127.0.0.1'] : Promise.reject(new Error('unknown host')));
    const kindOf = (address: string): string | null => (address === '127.0.0.1' ? null : 'private');
    const t = target({ url: `http://checked.test:${agent.port}/`, body: { message: 'pinned' } }, closedNetwork, { resolve, kindOf });
    expect((await call(t)).output).toEqual({ reply: 'pinned' });
    expect(last().headers.host).toBe(`checked.test:${agent.port}`);
  });

  it('re-checks every redirect hop, so a redirect cannot reach a private address', async () => {
    agent.setBehaviour({ handler: (req) => (req.url === '/start' ? { status: 302, headers: { location: `http://intranet.test:${agent.port}/inside` } } : undefined) });
    // The first hop's name resolves to the agent, which the test classifier calls public.
    const resolve = async (host: string): Promise<string[]> => (host === 'intranet.test' ? ['10.0.0.7'] : ['127.0.0.1']);
    const kindOf = (address: string): string | null => (address === '127.0.0.1' ? null : 'private');
    const error = await failure(call(target({ url: `http://outside.test:${agent.port}/start`, body: { message: 'x' } }, closedNetwork, { resolve, kindOf })));
    expect(error.message).toBe(
      `refused to call http://intranet.test:${agent.port}: intranet.test resolves to 10.0.0.7, a private address; private networks are not allowed`,
    );
    expect(agent.requests.some((r) => r.url === '/start')).toBe(true);
    expect(agent.requests.some((r) => r.url === '/inside')).toBe(false);
  });

  it('follows redirects when allowed: 307 keeps the method and body, 302 after POST becomes GET', async () => {
    agent.setBehaviour({
      handler: (req) => {
        if (req.url === '/a') return { status: 307, headers: { location: '/b' } };
        if (req.url === '/b') return { status: 302, headers: { location: '/c' } };
        if (req.url === '/c') return { body: { method: req.method, text: req.text } };
        return undefined;
      },
    });
    const { output } = await call(target({ url: `${agent.url}/a`, body: { message: 'm' } }));
    expect(output).toEqual({ method: 'GET', text: '' });
    const b = agent.requests.find((r) => r.url === '/b')!;
    expect(b.method).toBe('POST');
    expect(b.body).toEqual({ message: 'm' });
  });

  it('drops credentials on a redirect to another origin', async () => {
    const other = await startFakeAgent({ handler: (req) => ({ body: { auth: req.headers.authorization ?? null, key: req.headers['x-api-key'] ?? null } }) });
    try {
      agent.setBehaviour({ handler: () => ({ status: 308, headers: { location: `${other.url}/land` } }) });
      const spec = { auth: { type: 'bearer', token: '{{secrets.TOKEN}}' }, headers: { 'X-Api-Key': '{{secrets.TOKEN}}', 'X-Plain': 'p' } };
      expect((await call(target(spec))).output).toEqual({ auth: null, key: null });
      expect(other.requests[0]?.headers['x-plain']).toBe('p');
    } finally {
      await other.close();
    }
  });

  it('stops after 5 redirects', async () => {
    agent.setBehaviour({ handler: () => ({ status: 302, headers: { location: '/again' } }) });
    const error = await failure(call(target({})));
    expect(error.message).toBe(`too many redirects (more than 5) from ${agent.url}`);
  });
});

describe('HTTP target: slow DNS', () => {
  it('does not wait for a DNS lookup past the timeout or a stop', async () => {
    const resolve = (): Promise<string[]> => new Promise(() => {});
    const started = Date.now();
    const error = await failure(call(target({ url: 'http://slow-dns.test/', timeoutMs: 100 }, { allowPrivateNetworks: false }, { resolve })));
    expect(error.message).toBe('timed out after 100 ms');
    expect(Date.now() - started).toBeLessThan(1000);

    const controller = new AbortController();
    const stop = new Error('run stopped');
    setTimeout(() => controller.abort(stop), 50);
    await expect(call(target({ url: 'http://slow-dns.test/' }, { allowPrivateNetworks: false }, { resolve }), undefined, controller.signal)).rejects.toBe(stop);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
