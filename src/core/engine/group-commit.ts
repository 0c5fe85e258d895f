// Group commit: finished cells are buffered for a few milliseconds and committed together in
// one transaction, which makes durable storage cheap per cell without holding any cell's
// concurrency slot while it waits. The buffer is bounded: producers wait in room() when
// storage falls behind, so memory stays flat however fast targets answer.

export interface GroupCommitOptions {
  /** Largest batch per transaction. */
  maxBatch: number;
  /** How long the first item of a batch may wait for company. */
  maxDelayMs: number;
  /** Buffered items above which room() makes producers wait. */
  maxPending: number;
}

/** A cancellable one-shot timer (Clock.later): the batch window runs on the injected clock. */
export type Later = (ms: number, fire: () => void) => () => void;

export class GroupCommitter<T> {
  private buffer: T[] = [];
  private flushing: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private failure: { error: unknown } | null = null;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly commit: (batch: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
    private readonly later: Later,
  ) {}

  /** The first commit error, if any; once failed, nothing more is committed. */
  get error(): unknown {
    return this.failure?.error;
  }

  get pending(): number {
    return this.buffer.length;
  }

  add(item: T): void {
    if (this.failure) return;
    this.buffer.push(item);
    if (this.buffer.length >= this.options.maxBatch) this.kick();
    else this.cancelTimer ??= this.later(this.options.maxDelayMs, () => this.kick());
  }

  /** Resolves when the buffer has room (or commits have failed). */
  room(): Promise<void> {
    if (this.buffer.length < this.options.maxPending || this.failure) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Commits everything buffered; rejects with the commit error if one happened. */
  async close(): Promise<void> {
    this.kick();
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure.error;
  }

  private kick(): void {
    if (this.cancelTimer) {
      this.cancelTimer();
      this.cancelTimer = null;
    }
    if (this.flushing || this.buffer.length === 0 || this.failure) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = null;
      // An add() that landed after the loop's last check would otherwise wait for the next add.
      if (this.buffer.length > 0 && !this.failure) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.buffer.length > 0 && !this.failure) {
      const batch = this.buffer.splice(0, this.options.maxBatch);
      this.wakeProducers();
      try {
        await this.commit(batch);
      } catch (error) {
        this.failure = { error };
      }
      this.wakeProducers();
    }
  }

  private wakeProducers(): void {
    if (this.buffer.length >= this.options.maxPending && !this.failure) return;
    const waiters = this.roomWaiters.splice(0);
    for (const w of waiters) w();
  }
}
