// A model provider on 127.0.0.1 that answers every call properly and then pads the answer: the
// endpoint a project may register (any OpenAI-compatible base URL, or Anthropic's), turned
// against the server's main thread. Chat Completions, Anthropic Messages, embeddings and
// moderations answer with the wire shape the clients read, plus `"junk": <pad>` when `pad`
// returns one; the chat content is `content`'s. Used by the tests of the answer bounds
// (src/net/lean-fetch.ts, MODEL_ANSWER_SHAPE).
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a hook sees of a call. */
export interface HostileCall {
  path: string;
  body: Record<string, unknown>;
  /** The text of the last message's content (chat and messages), or ''. */
  prompt: string;
}

export interface HostileProvider {
  /** `http://127.0.0.1:<port>` (an Anthropic base URL). */
  readonly url: string;
  /** `url + '/v1'` (an OpenAI-compatible base URL). */
  readonly baseURL: string;
  /** Calls answered so far, by path. */
  readonly calls: Map<string, number>;
  /** Raw JSON added to the answer as `"junk"`, or undefined for none. */
  pad: (call: HostileCall) => string | undefined;
  /** The chat content (Chat Completions and Messages). */
  content: (call: HostileCall) => string;
  close(): Promise<void>;
}

/** `[[],[],…]`: n empty arrays in one (the finding's answer: 10 million, 28.6 MiB). */
export const emptyArrays = (n: number): string => `[${'[],'.repeat(n - 1)}[]]`;
/** `{"k0":0,"k1":0,…}`: one object of n distinct keys. */
export const distinctKeys = (n: number): string => `{${Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',')}}`;
/** `[0,0,…]`: n numbers. */
export const zeros = (n: number): string => `[${'0,'.repeat(n - 1)}0]`;
/** n arrays, each inside the last. */
export const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);

function lastText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  const content = messages.at(-1)?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof (p as { text?: unknown })?.text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

function answerOf(call: HostileCall, content: string): unknown {
  const model = typeof call.body.model === 'string' ? call.body.model : 'model';
  const inputs = Array.isArray(call.body.input) ? call.body.input : [call.body.input];
  switch (call.path) {
    case '/v1/chat/completions':
      return {
        id: 'chatcmpl-hostile', object: 'chat.completion', created: 0, model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      };
    case '/v1/messages':
      return { id: 'msg_hostile', type: 'message', role: 'assistant', model, content: [{ type: 'text', text: content }], stop_reason: 'end_turn', usage: { input_tokens: 3, output_tokens: 1 } };
    case '/v1/embeddings':
      return { object: 'list', model, data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [1, 0, 0] })), usage: { prompt_tokens: 1, total_tokens: 1 } };
    case '/v1/moderations':
      return { id: 'modr-hostile', model, results: inputs.map(() => ({ flagged: false, categories: { hate: false }, category_scores: { hate: 0.01 } })) };
    default:
      return undefined;
  }
}

export async function startHostileProvider(): Promise<HostileProvider> {
  const sockets = new Set<Socket>();
  const calls = new Map<string, number>();
  const provider = {
    calls,
    pad: (() => undefined) as HostileProvider['pad'],
    content: (() => 'hello') as HostileProvider['content'],
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        // An empty or broken body is answered as an empty one.
      }
      const path = (req.url ?? '/').split('?')[0]!;
      const call: HostileCall = { path, body, prompt: lastText(body) };
      calls.set(path, (calls.get(path) ?? 0) + 1);
      const answer = answerOf(call, path.endsWith('/chat/completions') || path.endsWith('/messages') ? provider.content(call) : '');
      if (answer === undefined) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"not found"}}');
        return;
      }
      const pad = provider.pad(call);
      const text = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(pad === undefined ? text : `${text.slice(0, -1)},"junk":${pad}}`);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(provider, {
    url,
    baseURL: `${url}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
