// An OTLP/HTTP endpoint that accepts and drops every export, for measuring what tracing costs
// the server (docs/benchmarks.md, "Observability"): `node --import tsx bench/otlp-sink.ts` prints
// its URL for OTEL_EXPORTER_OTLP_ENDPOINT and counts the exports it received on SIGINT.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

let exports = 0;
let bytes = 0;
const server = http.createServer((req, res) => {
  req.on('data', (c: Buffer) => (bytes += c.length));
  req.on('end', () => {
    exports++;
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.on('SIGINT', () => {
  console.error(`${exports} exports, ${bytes} bytes`);
  process.exit(0);
});
