// A recording HTTP server on loopback for security and webhook tests: it keeps every request
// (method, path, headers, body) and answers with what the test sets — by default a 200 JSON body
// carrying a marker string, so a test can check that nothing the receiver said leaked anywhere.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface Receiver {
  /** `http://127.0.0.1:PORT` */
  url: string;
  requests: ReceivedRequest[];
  /** What the next requests are answered with (a function sees the request). */
  answer: (request: ReceivedRequest) => Answer;
  /** Forgets the requests and goes back to the default answer. */
  reset(): void;
  close(): Promise<void>;
}

export const RECEIVER_MARKER = 'receiver-marker-5f1c9a7e';

export async function startReceiver(): Promise<Receiver> {
  const defaultAnswer = (): Answer => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reply: RECEIVER_MARKER, error: { message: RECEIVER_MARKER } }),
  });
  const receiver: Omit<Receiver, 'url' | 'close'> = {
    requests: [],
    answer: defaultAnswer,
    reset() {
      this.requests.length = 0;
      this.answer = defaultAnswer;
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      receiver.requests.push(request);
      const answer = receiver.answer(request);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
