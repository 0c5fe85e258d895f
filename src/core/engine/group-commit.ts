// Group commit: finished cells are buffered for a few milliseconds and committed together in
// one transaction, which makes durable storage cheap per cell without holding any cell's
// concurrency slot while it waits. The buffer is bounded in items and, given a `sizeOf`, in
// bytes: producers wait in room() when storage falls behind, so memory stays flat however fast
// targets answer and however large their outputs (a batch of 500 cells of 10 MB was once 5 GB
// serialized in one transaction).

export interface GroupCommitOptions {
  /** Largest batch per transaction. */
  maxBatch: number;
  /** How long the first item of a batch may wait for company. */
  maxDelayMs: number;
  /** Buffered items above which room() makes producers wait. */
  maxPending: number;
  /** Bytes (as `sizeOf` counts them) a batch holds at most, past its first item; reaching them commits at once. */
  maxBatchBytes?: number;
  /** Buffered bytes above which room() makes producers wait. */
  maxPendingBytes?: number;
}

/** A cancellable one-shot timer (Clock.later): the batch window runs on the injected clock. */
export type Later = (ms: number, fire: () => void) => () => void;

export class GroupCommitter<T> {
  private buffer: T[] = [];
  /** The buffered items' sizes, in the buffer's order, and their sum. */
  private sizes: number[] = [];
  private bytes = 0;
  private readonly maxBatchBytes: number;
  private readonly maxPendingBytes: number;
  private flushing: Promise<void> | null = null;
  private cancelTimer: (() => void) | null = null;
  private failure: { error: unknown } | null = null;
  private roomWaiters: (() => void)[] = [];

  constructor(
    private readonly commit: (batch: T[]) => Promise<void>,
    private readonly options: GroupCommitOptions,
    private readonly later: Later,
    /** An item's size in bytes, roughly (what its commit will write); none: batches by count only. */
    private readonly sizeOf?: (item: T) => number,
  ) {
    this.maxBatchBytes = options.maxBatchBytes ?? Number.POSITIVE_INFINITY;
    this.maxPendingBytes = options.maxPendingBytes ?? Number.POSITIVE_INFINITY;
  }

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
    if (this.sizeOf) {
      const size = this.sizeOf(item);
      this.sizes.push(size);
      this.bytes += size;
    }
    if (this.buffer.length >= this.options.maxBatch || this.bytes >= this.maxBatchBytes) this.kick();
    else this.cancelTimer ??= this.later(this.options.maxDelayMs, () => this.kick());
  }

  /** Resolves when the buffer has room (or commits have failed). */
  room(): Promise<void> {
    if (!this.full() || this.failure) return Promise.resolve();
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
      const batch = this.buffer.splice(0, this.batchLength());
      if (this.sizeOf) for (const size of this.sizes.splice(0, batch.length)) this.bytes -= size;
      this.wakeProducers();
      try {
        await this.commit(batch);
      } catch (error) {
        this.failure = { error };
      }
      this.wakeProducers();
    }
  }

  /** Items of the next batch: up to maxBatch, and up to maxBatchBytes past the first. */
  private batchLength(): number {
    const n = Math.min(this.buffer.length, this.options.maxBatch);
    if (!this.sizeOf) return n;
    let used = this.sizes[0]!;
    for (let i = 1; i < n; i++) {
      used += this.sizes[i]!;
      if (used > this.maxBatchBytes) return i;
    }
    return n;
  }

  private full(): boolean {
    return this.buffer.length >= this.options.maxPending || this.bytes >= this.maxPendingBytes;
  }

  private wakeProducers(): void {
    if (this.full() && !this.failure) return;
    const waiters = this.roomWaiters.splice(0);
    for (const w of waiters) w();
  }
}
