// The line in front of the evaluator pool: at most `limit` tasks are handed to Piscina at a
// time (as many as it has threads), the others wait here in order. A waiting task whose signal
// aborts is rejected at once and skipped when its turn comes, at constant cost: one cell can
// have 5,000 evaluations timing out together, and Piscina removes each aborted task by searching
// its own queue (5,000 at once: 62 ms of the main thread; here a few ms).

interface Waiter {
  /** Starts the task and settles the caller's promise; dropped once the waiter is cancelled. */
  start: (() => void) | undefined;
  signal: AbortSignal;
  onAbort: () => void;
}

export class Admission {
  private readonly waiting: (Waiter | undefined)[] = [];
  private head = 0;
  private running = 0;

  constructor(private readonly limit: number) {}

  /** Runs `task` when a slot is free; rejects with the signal's reason if it aborts first. */
  run<T>(task: () => Promise<T>, signal: AbortSignal): Promise<T> {
    signal.throwIfAborted();
    if (this.running < this.limit) return this.start(task);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => this.start(task).then(resolve, reject),
        signal,
        onAbort: () => {
          waiter.start = undefined;
          reject(signal.reason);
        },
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private start<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    const started = task();
    started.then(
      () => this.release(),
      () => this.release(),
    );
    return started;
  }

  private release(): void {
    this.running--;
    while (this.running < this.limit && this.head < this.waiting.length) {
      const waiter = this.waiting[this.head]!;
      this.waiting[this.head++] = undefined;
      if (!waiter.start) continue;
      waiter.signal.removeEventListener('abort', waiter.onAbort);
      waiter.start();
    }
    // Drop the consumed front now and then, so the line does not grow for ever.
    if (this.head > 1_024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
  }
}
