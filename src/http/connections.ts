// What one client can hold of a server's connections (docs/security.md, "Connections"). Node's
// HTTP server accepts every connection it is offered, waits 60 s for a request's headers and
// 300 s for its whole body: 20,000 connections that each sent half a header line took every
// file descriptor of a server (no /healthz, no database file, no outbound call) for 80 s at a
// time, and a 1 GiB upload over a link slower than 3.5 MB/s was cut at 300 s however steadily
// it arrived. Here:
//   - open connections are capped in all and per client address (IPv6 per /64); one over a
//     cap is answered with a JSON error and closed;
//   - a request's headers must arrive within `headersTimeoutMs`;
//   - a body is cut when no byte of it has arrived for `bodyIdleMs` while the server waited
//     for one, however long the whole upload takes;
//   - and when it arrives slower than `bodyMinBytesPerSecond` on average: a client that sent a
//     byte every 29 s held its connection for ever. Apache's mod_reqtimeout rule (MinRate): the
//     server waits `bodyIdleMs` plus a second for every `bodyMinBytesPerSecond` bytes received,
//     counting only the time it was ready to read (not while the app held the body back).
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { addressKey, clientAddresses } from './client-address.js';
import { rawJsonAnswer } from './client-errors.js';

export interface ConnectionLimits {
  /** Connections open at once; the next one is answered 503 and closed. */
  max: number;
  /** Connections open at once from one client address; the next is answered 429. 0: no cap. */
  perClient: number;
  /**
   * ASSAY_TRUSTED_PROXIES (http/client-address.ts): a connection from one of these is many
   * clients', so it counts towards `max` only, never towards a per-address cap.
   */
  trustedProxies: readonly string[];
  /** Time for a request's headers to arrive (408 after it). */
  headersTimeoutMs: number;
  /** Time a body may stay silent while the server waits for it (408 after it). */
  bodyIdleMs: number;
  /**
   * Least average rate of a body, bytes per second of the time the server waited for it, after
   * a first `bodyIdleMs` (408 below it). 0: no minimum.
   */
  bodyMinBytesPerSecond: number;
  /**
   * How long an idle keep-alive connection stays open. A load balancer that reuses idle
   * upstream connections for longer (AWS ALB: 60 s) sends requests on connections Node just
   * closed, and its clients get 502s; set this above the balancer's idle timeout.
   */
  keepAliveTimeoutMs: number;
}

/** Node's check of header deadlines runs every 30 s by default, so a 20 s timeout took up to 50. */
export function serverOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    // Off: a body is bounded by its silence (bodyIdleMs), not by its length in time.
    requestTimeout: 0,
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/**
 * Connections refused at once, each held ≤ REFUSAL_LINGER_MS so its answer can be read; past
 * this a flood's connections are closed unanswered, so refusing cannot itself exhaust sockets.
 */
const MAX_REFUSING = 256;
const REFUSAL_LINGER_MS = 2_000;
/** A refused client may retry at once: connections come and go by the second. */
const RETRY_AFTER = 'Retry-After: 1\r\n';

/** What the process's listeners admitted and refused (read by /metrics). */
export const connectionCounts = { open: 0, refusedServerBusy: 0, refusedPerClient: 0, bodyTimeouts: 0 };

/** Refusals are logged at most this often, with the count since the last line. */
const REFUSAL_LOG_MS = 60_000;

/**
 * Caps `server`'s connections and watches its bodies; call once, before it accepts any.
 * `warn` hears of refusals (at most a line a minute): behind a proxy that is not configured
 * for, they are how an operator learns every client shares one address.
 */
export function guardConnections(server: Server, limits: ConnectionLimits, warn: (line: string) => void = () => {}): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  capConnections(server, limits, refusalLog(limits, warn));
  watchBodies(server, limits.bodyIdleMs, limits.bodyMinBytesPerSecond);
}

function refusalLog(limits: ConnectionLimits, warn: (line: string) => void): (why: 'busy' | 'client', address: string) => void {
  let lastLine = -Infinity;
  let busy = 0;
  let client = 0;
  return (why, address) => {
    if (why === 'busy') busy++;
    else client++;
    const now = Date.now();
    if (now - lastLine < REFUSAL_LOG_MS) return;
    const parts = [];
    if (client > 0) parts.push(`${client} over ASSAY_MAX_CONNECTIONS_PER_CLIENT (${limits.perClient} from one address; behind a reverse proxy every client is the proxy: name it in ASSAY_TRUSTED_PROXIES)`);
    if (busy > 0) parts.push(`${busy} over ASSAY_MAX_CONNECTIONS (${limits.max})`);
    warn(`refused connections${lastLine === -Infinity ? '' : ' in the last minute'}: ${parts.join('; ')}; the latest from ${address}`);
    lastLine = now;
    busy = 0;
    client = 0;
  };
}

function capConnections(server: Server, limits: ConnectionLimits, logRefusal: (why: 'busy' | 'client', address: string) => void): void {
  // Node's own cap drops what passes even the refusals: nothing answers those.
  server.maxConnections = limits.max + MAX_REFUSING;
  // The HTTP server's own 'connection' listener runs only for the connections admitted here.
  const accept = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  let open = 0;
  let refusing = 0;
  const perAddress = new Map<string, number>();
  const proxies = clientAddresses(limits.trustedProxies);
  server.on('connection', (socket: Socket) => {
    const address = addressKey(socket.remoteAddress);
    const mine = perAddress.get(address) ?? 0;
    const busy = open >= limits.max;
    if (busy || (limits.perClient > 0 && mine >= limits.perClient && !proxies.trusted(socket.remoteAddress))) {
      if (busy) connectionCounts.refusedServerBusy++;
      else connectionCounts.refusedPerClient++;
      logRefusal(busy ? 'busy' : 'client', address);
      if (refusing >= MAX_REFUSING) {
        socket.destroy();
        return;
      }
      refusing++;
      socket.once('close', () => refusing--);
      refuse(
        socket,
        busy
          ? rawJsonAnswer(503, 'Service Unavailable', 'server_busy', `The server holds its limit of ${limits.max} open connections (ASSAY_MAX_CONNECTIONS); retry shortly`, RETRY_AFTER)
          : rawJsonAnswer(429, 'Too Many Requests', 'rate_limited', `Too many open connections from this address: the limit is ${limits.perClient} (ASSAY_MAX_CONNECTIONS_PER_CLIENT); close one and retry`, RETRY_AFTER),
      );
      return;
    }
    open++;
    connectionCounts.open++;
    perAddress.set(address, mine + 1);
    socket.once('close', () => {
      open--;
      connectionCounts.open--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    for (const listener of accept) listener.call(server, socket);
  });
}

/**
 * Answers without reading the request. What the client sends is read and dropped: a socket
 * closed with unread input sends a reset, which can discard the answer before the client reads it.
 */
function refuse(socket: Socket, answer: string): void {
  socket.on('error', () => socket.destroy());
  socket.resume();
  socket.end(answer);
  const linger = setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS);
  linger.unref();
  socket.once('close', () => clearTimeout(linger));
}

interface Receiving {
  request: IncomingMessage;
  response: ServerResponse;
  bytesRead: number;
  /** When the last byte arrived, or the server last held input back. */
  since: number;
  /** The socket's byte count when the request began (its headers included). */
  firstByte: number;
  /** Time the server waited for the body, ready to read it (ms). */
  waited: number;
  /** When `waited` was last brought up to date. */
  checked: number;
}

/**
 * One timer checks every request whose body is still arriving: the socket's byte count tells
 * whether anything came. Silence while the request holds unread input, or is paused, is the
 * server's own (an app reading slowly, a store taking its time): it does not count, towards the
 * silence or towards the rate.
 */
function watchBodies(server: Server, idleMs: number, minBytesPerSecond: number): void {
  const receiving = new Set<Receiving>();
  const tick = Math.max(20, Math.min(1_000, Math.floor(idleMs / 4)));
  let timer: NodeJS.Timeout | undefined;
  const cut = (r: Receiving, why: string): void => {
    receiving.delete(r);
    connectionCounts.bodyTimeouts++;
    cutBody(r.request.socket, r.response, why);
  };
  const check = () => {
    const now = Date.now();
    for (const r of receiving) {
      const { request } = r;
      const socket = request.socket;
      if (request.complete || socket.destroyed) {
        receiving.delete(r);
        continue;
      }
      const heldBack = request.readableLength > 0 || request.isPaused();
      if (!heldBack) r.waited += now - r.checked;
      r.checked = now;
      if (socket.bytesRead !== r.bytesRead || heldBack) {
        r.bytesRead = socket.bytesRead;
        r.since = now;
      } else if (now - r.since >= idleMs) {
        cut(r, `No byte of the request body arrived for ${idleMs / 1000} s`);
        continue;
      }
      const received = r.bytesRead - r.firstByte;
      if (minBytesPerSecond > 0 && r.waited > idleMs + (received * 1000) / minBytesPerSecond) {
        cut(r, `The request body arrived slower than ${minBytesPerSecond} bytes/s (ASSAY_BODY_MIN_BYTES_PER_SECOND): ${received} bytes in ${(r.waited / 1000).toFixed(1)} s`);
      }
    }
    if (receiving.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.complete) return;
    const now = Date.now();
    const bytesRead = request.socket.bytesRead;
    receiving.add({ request, response, bytesRead, since: now, firstByte: bytesRead, waited: 0, checked: now });
    if (timer === undefined) {
      timer = setInterval(check, tick);
      timer.unref();
    }
  });
  server.once('close', () => clearInterval(timer));
}

function cutBody(socket: Socket, response: ServerResponse, why: string): void {
  if (response.headersSent || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(rawJsonAnswer(408, 'Request Timeout', 'request_timeout', why));
  // The app may still be reading; it gets an aborted body, and its answer goes nowhere.
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}
