// Requests Node's HTTP parser rejects before any route sees them (a malformed request line,
// headers beyond the size limit, a request that timed out while arriving) get the same kind of
// JSON error as everything else (SPEC §3), not Node's default bodiless 400/431.
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/** Status, code and message by the parser's error code. */
function describe(code: string | undefined): { status: number; reason: string; error: string; message: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, reason: 'Request Header Fields Too Large', error: 'headers_too_large', message: 'The request headers are larger than the server accepts' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', error: 'request_timeout', message: 'The request did not arrive in time' };
    default:
      return { status: 400, reason: 'Bad Request', error: 'malformed_request', message: `The request is not valid HTTP/1.1${code?.startsWith('HPE_') ? ` (${code})` : ''}` };
  }
}

/** The raw response for a parser error, closing the connection (the stream's state is unknown). */
export function clientErrorResponse(code: string | undefined): string {
  const { status, reason, error, message } = describe(code);
  return rawJsonAnswer(status, reason, error, message);
}

/**
 * A JSON error written straight to a socket, for answers given outside any route (parser
 * errors, refused connections, cut bodies); it closes the connection. `headers` are extra
 * header lines, each ending in CRLF.
 */
export function rawJsonAnswer(status: number, reason: string, error: string, message: string, headers = ''): string {
  const body = JSON.stringify({ error, message });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${headers}Connection: close\r\n\r\n${body}`;
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // A reset connection has nobody to answer; a response already under way cannot be replaced.
    if (error.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error.code));
  });
}
