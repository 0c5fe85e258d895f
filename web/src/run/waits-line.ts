// The header's line about calls waiting for a slot (the run's `waiting` events): a provider's
// cap, a model's limit lowered or paused after 429s, an HTTP origin's. Its own timer counts a
// pause down while one is told; its wording is src/client/slot-waits.ts's, shared with `assay run`.
import { SlotWaitsSeen, type WaitingWord, waitingText } from '../../../src/client/slot-waits.js';

/** How often the line counts a pause down. */
const WAITS_TICK_MS = 1000;

export class WaitsLine {
  private readonly seen = new SlotWaitsSeen();
  private timer: ReturnType<typeof setInterval> | undefined;

  /** `shown`: the line the page shows now; `show`: replaces it (undefined: no line). */
  constructor(
    private readonly shown: () => string | undefined,
    private readonly show: (text: string | undefined) => void,
  ) {}

  /** An executor's word on its calls waiting now (none: an empty list). */
  waiting(word: WaitingWord): void {
    this.seen.waiting(word);
    this.update();
  }

  /** No stream, or the run ended: says nothing rather than something stale. */
  clear(): void {
    this.seen.clear();
    this.update();
  }

  dispose(): void {
    clearInterval(this.timer);
  }

  private update(): void {
    const waits = this.seen.current();
    const text = waitingText(waits);
    if (text !== this.shown()) this.show(text);
    const paused = waits.some((w) => w.pausedMs !== undefined);
    if (paused && !this.timer) this.timer = setInterval(() => this.update(), WAITS_TICK_MS);
    if (!paused && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
