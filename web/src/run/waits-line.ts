// The header's line about calls waiting for a slot (the run's `waiting` events): a provider's
// cap, a model's limit lowered or paused after 429s, an HTTP origin's. It counts a pause down
// while one is told; its wording is src/client/slot-waits.ts's, shared with `assay run`.
import { SlotWaitsSeen, type WaitingWord, waitingText } from '../../../src/client/slot-waits.js';
import { TickingLine } from './ticking-line.js';

export class WaitsLine extends TickingLine {
  private readonly seen = new SlotWaitsSeen();

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

  protected words() {
    const waits = this.seen.current();
    return { text: waitingText(waits), ticking: waits.some((w) => w.pausedMs !== undefined) };
  }
}
