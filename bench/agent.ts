// The benchmark's agent: a minimal HTTP server in its own process (so its CPU is not counted
// against Assay) answering POST {message} with {reply: message} after a fixed latency. It does
// no bookkeeping, so what it adds to each call's time is the latency and little else.
// Usage: tsx bench/agent.ts <latencyMs>; prints "AGENT <url>".
import http from 'node:http';

const latencyMs = Number(process.argv[2] ?? 0);

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let message = '';
    try {
      message = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: unknown }).message ?? '');
    } catch {
      // an empty or odd body still gets an answer
    }
    const body = JSON.stringify({ reply: message });
    const send = () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    if (latencyMs > 0) setTimeout(send, latencyMs);
    else send();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as import('node:net').AddressInfo;
  console.log(`AGENT http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
