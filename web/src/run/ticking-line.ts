// A line of the run's header that may count down (a retry's next try, a model's pause): the
// page shows its words, and a timer words it again each second while it counts. The backing-off
// and waiting lines are one each (backoff-line.ts, waits-line.ts), with wording of their own.

/** How often a line words itself again while it counts down. */
const TICK_MS = 1000;

export abstract class TickingLine {
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `shown`: the line the page shows now; `show`: replaces it (undefined: no line). */
  constructor(
    protected readonly shown: () => string | undefined,
    private readonly show: (text: string | undefined) => void,
  ) {}

  dispose(): void {
    clearInterval(this.timer);
  }

  /** The line now (undefined: none), and whether it counts down. */
  protected abstract words(): { text: string | undefined; ticking: boolean };

  /** Shows the words when they changed; ticks while they count down, and stops when not. */
  protected update(): void {
    const { text, ticking } = this.words();
    if (text !== this.shown()) this.show(text);
    if (ticking && !this.timer) this.timer = setInterval(() => this.update(), TICK_MS);
    if (!ticking && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
