// The cluster event bus: every batch of committed events (and every live-only event) published
// in one process goes to the process's own in-process bus at once and, through Redis pub/sub,
// to the in-process bus of every other process, so an SSE client on any API process sees a run
// that any worker executes. Pub/sub only wakes readers and fills their ring: the events were
// committed to PostgreSQL before they were published, and a reader that finds a gap reads
// storage (app/runs/events.ts), so a lost message delays a stream but never tears it.
// The same connection carries abort nudges: abort sets the flag in the database (seen by the
// lease keeper within its poll) and nudges every process to stop the run at once.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { isFinalEvent, type LiveEvent, type RunEvent } from '../core/events.js';
import { eventBytes } from '../core/json-size.js';
import type { EventBus, Logger } from '../core/ports.js';
import { InProcessEventBus } from './event-bus.js';

/**
 * One message on the events channel: the publishing process, the run, and a batch, a live event
 * or `s`, the seq of the last of some events too large to send (read them from storage); or `q`,
 * a watcher joined the run (who executes its cells answers with `L`, their `cell_started`).
 */
interface Envelope {
  o: string;
  r: string;
  e?: RunEvent[];
  l?: LiveEvent;
  s?: number;
  q?: 1;
  L?: LiveEvent[];
}

/**
 * An event larger than this (core/json-size.ts, eventBytes) crosses Redis as its seq alone, and
 * readers in other processes read it from storage. Outputs can be 10–32 MB: sent whole, each was
 * serialized by the worker, held by Redis for every subscribed process (whose pub/sub output
 * buffer, 32 MB by default, disconnects a process that falls behind) and parsed by every API
 * process on its main thread, for the readers that storage serves as well.
 */
export const FANOUT_EVENT_BYTES = 64 * 1024;

/** How long start-up waits for Redis before giving up with a message. */
const CONNECT_TIMEOUT_MS = 10_000;

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'unparseable URL';
  }
}

/**
 * Why a connection failed, from the error ioredis emitted (its own rejection says only
 * "Connection is closed."): a host that does not resolve or a refused port said as such.
 */
function connectReason(error: unknown): string {
  const { code, hostname, message } = (error ?? {}) as NodeJS.ErrnoException & { hostname?: string };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the host ${hostname ? `${hostname} ` : ''}is not found (${code})`;
  if (code === 'ECONNREFUSED') return `nothing listens there (${code})`;
  return message ?? String(error);
}

/**
 * What the channels' names start with. Pub/sub ignores the database number (a message published
 * on database 2 reaches subscribers on database 1), so the number a REDIS_URL selects is part of
 * the name: two installations told apart by their databases alone do not hear each other either.
 */
export function channelBase(prefix: string, db: number): string {
  return db === 0 ? prefix : `${prefix}:db${db}`;
}

export interface RedisEventBusOptions {
  redisUrl: string;
  /**
   * Channel prefix (default `assay`, ASSAY_REDIS_PREFIX): `<prefix>:events` and `<prefix>:abort`,
   * or `<prefix>:db<N>:events` and `<prefix>:db<N>:abort` when REDIS_URL selects database N ≠ 0.
   */
  prefix?: string;
  logger: Logger;
  /** How long start-up waits for Redis (default 10 s). */
  connectTimeoutMs?: number;
}

export class RedisEventBus implements EventBus {
  private readonly local = new InProcessEventBus();
  /** Tells this process's own messages apart (they were delivered locally already). */
  private readonly origin = randomUUID();
  private readonly abortListeners = new Set<(runId: string) => void>();
  private readonly eventsChannel: string;
  private readonly abortChannel: string;
  /** One warning per Redis outage, not one per batch. */
  private warned = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly logger: Logger,
  ) {
    const base = channelBase(prefix, pub.options.db ?? 0);
    this.eventsChannel = `${base}:events`;
    this.abortChannel = `${base}:abort`;
  }

  /** The channels this bus publishes and listens on (events, abort nudges). */
  get channels(): { events: string; abort: string } {
    return { events: this.eventsChannel, abort: this.abortChannel };
  }

  /** Connects and subscribes; resolves once messages of other processes are arriving. */
  /** Answers when Redis does (readiness); rejects at once while the connection is down (no offline queue). */
  async ping(): Promise<void> {
    await this.pub.ping();
  }

  static async connect(options: RedisEventBusOptions): Promise<RedisEventBus> {
    // Publishing fails at once while Redis is away instead of queueing every batch in memory:
    // the events are in PostgreSQL, and streams read them there.
    const pub = new Redis(options.redisUrl, { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: true });
    const sub = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    // Until connected, a failure is the start-up's one error line below, not warnings before it.
    let connected = false;
    let firstError: unknown;
    for (const [name, c] of [['publish', pub], ['subscribe', sub]] as const) {
      c.on('error', (err: Error) => {
        if (connected) options.logger.warn({ err: err.message, connection: name }, 'redis (events) connection error');
        else firstError ??= err;
      });
    }
    const bus = new RedisEventBus(pub, sub, options.prefix ?? 'assay', options.logger);
    pub.on('ready', () => (bus.warned = false));
    sub.on('message', (channel: string, message: string) => bus.receive(channel, message));
    let timer: NodeJS.Timeout | undefined;
    const waitMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    const unreachable = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${waitMs / 1000} s`)), waitMs);
    });
    try {
      await Promise.race([Promise.all([pub.connect(), sub.subscribe(bus.eventsChannel, bus.abortChannel)]), unreachable]);
      connected = true;
    } catch (error) {
      pub.disconnect();
      sub.disconnect();
      throw new Error(`could not reach Redis at REDIS_URL (${redactedUrl(options.redisUrl)}): ${connectReason(firstError ?? error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return bus;
  }

  private receive(channel: string, message: string): void {
    if (channel === this.abortChannel) {
      for (const l of this.abortListeners) l(message);
      return;
    }
    let m: Envelope;
    try {
      m = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (m.o === this.origin) return;
    if (m.e) this.local.publish(m.r, m.e);
    else if (m.s !== undefined) this.local.publishStored(m.r);
    else if (m.l) this.local.publishLive(m.r, m.l, false);
    else if (m.L) for (const event of m.L) this.local.publishLive(m.r, event, false);
    else if (m.q) {
      // A watcher joined elsewhere: tell it (and, once more, the others) what runs here.
      const running = this.local.runningCells(m.r);
      if (running.length > 0) this.send({ o: this.origin, r: m.r, L: running });
    }
  }

  private send(m: Envelope): void {
    this.pub.publish(this.eventsChannel, JSON.stringify(m)).catch((err: unknown) => {
      if (this.warned) return;
      this.warned = true;
      this.logger.warn({ runId: m.r, err: err instanceof Error ? err.message : String(err) }, 'could not fan out run events until Redis is back (streams read them from storage)');
    });
  }

  publish(runId: string, events: RunEvent[]): void {
    if (events.length === 0) return;
    this.local.publish(runId, events);
    // Runs of small events go whole; a run of large events goes as the seq of its last. A final
    // event always goes whole: it carries the run's summary (its size grows with the targets
    // and evaluators, not with outputs), and a reader that receives it sends it at once, where
    // a reader woken by a seq would wait out its flush gap (found by review: 250 ms later).
    const large = (e: RunEvent) => !isFinalEvent(e) && eventBytes(e) > FANOUT_EVENT_BYTES;
    for (let i = 0; i < events.length; ) {
      const kind = large(events[i]!);
      let j = i + 1;
      while (j < events.length && large(events[j]!) === kind) j++;
      if (kind) this.send({ o: this.origin, r: runId, s: events[j - 1]!.seq });
      else this.send({ o: this.origin, r: runId, e: i === 0 && j === events.length ? events : events.slice(i, j) });
      i = j;
    }
  }

  publishLive(runId: string, event: LiveEvent): void {
    this.local.publishLive(runId, event);
    this.send({ o: this.origin, r: runId, l: event });
  }

  settle(runId: string, cells: readonly { rowIndex: number; targetId: string; repeat: number }[]): void {
    this.local.settle(runId, cells);
  }

  subscribe(runId: string, listener: (events: RunEvent[]) => void, onLive?: (event: LiveEvent) => void): () => void {
    const unsubscribe = this.local.subscribe(runId, listener, onLive);
    // The cells running in other processes: whoever executes them answers (receive, `q`).
    if (onLive) this.send({ o: this.origin, r: runId, q: 1 });
    return unsubscribe;
  }

  recent(runId: string, afterSeq: number, limit: number): RunEvent[] | null {
    return this.local.recent(runId, afterSeq, limit);
  }

  /** The `cell_started` of the run's cells executing in this process. */
  runningCells(runId: string): LiveEvent[] {
    return this.local.runningCells(runId);
  }

  /** Asks every process (this one included) to stop the run now; the database flag is the durable request. */
  nudgeAbort(runId: string): void {
    this.pub.publish(this.abortChannel, runId).catch((err: unknown) => {
      this.logger.warn({ runId, err: err instanceof Error ? err.message : String(err) }, 'could not nudge workers to abort (they see the flag within a poll)');
    });
  }

  /** Calls `listener` with the id of every run some process was asked to abort. */
  onAbort(listener: (runId: string) => void): () => void {
    this.abortListeners.add(listener);
    return () => this.abortListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.abortListeners.clear();
    await this.local.close();
    this.sub.disconnect();
    await this.pub.quit().catch(() => this.pub.disconnect());
  }
}
