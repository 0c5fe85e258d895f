// Calls held for a slot, as the `waiting` events tell them: a run under its provider's cap, or
// on a model whose limit 429s lowered or paused, moved slowly on the progress bar with nothing
// saying why. This keeps each executor's last word (a cluster run has one per shard) and
// `assay run` and the run page word them in one short line. No Node APIs: the page bundles it.
import type { SlotWait } from '../core/engine/slot-waits.js';

export type { SlotWait } from '../core/engine/slot-waits.js';

/** The fields of a `waiting` event this needs. */
export interface WaitingWord {
  source: string;
  waits: readonly SlotWait[];
}

export class SlotWaitsSeen {
  private readonly bySource = new Map<string, { waits: readonly SlotWait[]; at: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** An executor's calls waiting now; an empty list: none of its calls waits any more. */
  waiting(word: WaitingWord): void {
    if (word.waits.length === 0) this.bySource.delete(word.source);
    else this.bySource.set(word.source, { waits: word.waits, at: this.now() });
  }

  /** Forgets every wait (the stream ended, or the run did). */
  clear(): void {
    this.bySource.clear();
  }

  /** The waits of every executor together, one per key, largest first; a pause counts down from when it was told. */
  current(): SlotWait[] {
    const now = this.now();
    const merged = new Map<string, SlotWait>();
    for (const { waits, at } of this.bySource.values()) {
      for (const w of waits) {
        const key = `${w.kind}\u0000${w.name}`;
        const pausedMs = w.pausedMs === undefined ? undefined : w.pausedMs - (now - at);
        const seen = merged.get(key);
        if (seen) {
          seen.calls += w.calls;
          if (pausedMs !== undefined && pausedMs > (seen.pausedMs ?? 0)) seen.pausedMs = pausedMs;
          continue;
        }
        const wait: SlotWait = { kind: w.kind, name: w.name, calls: w.calls };
        if (w.limit !== undefined) wait.limit = w.limit;
        if (pausedMs !== undefined && pausedMs > 0) wait.pausedMs = pausedMs;
        merged.set(key, wait);
      }
    }
    return [...merged.values()].sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  }
}

/** How many keys the line names before it says "…". */
const NAMED = 2;

/** What holds the calls of one key, in words: "provider ollama's cap of 2", "model openai/gpt-4o (6 at once, paused 12 s)". */
function holder(w: SlotWait, name: string): string {
  if (w.kind === 'provider') return `provider ${name}'s cap${w.limit === undefined ? '' : ` of ${w.limit}`}`;
  const notes: string[] = [];
  if (w.limit !== undefined) notes.push(`${w.limit} at once`);
  if (w.pausedMs !== undefined) notes.push(`paused ${Math.max(1, Math.ceil(w.pausedMs / 1000))} s`);
  return `${w.kind === 'model' ? 'model ' : ''}${name}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/**
 * "4 calls waiting for provider ollama's cap of 2", "5 calls waiting: 4 for provider ollama's
 * cap of 2, 1 for model openai/gpt-4o (6 at once)", or undefined when none waits; `name` makes
 * a key's name safe where it is shown (a project chose it).
 */
export function waitingText(waits: readonly SlotWait[], name: (text: string) => string = (text) => text): string | undefined {
  if (waits.length === 0) return undefined;
  const total = waits.reduce((sum, w) => sum + w.calls, 0);
  const calls = `${total} call${total === 1 ? '' : 's'} waiting`;
  if (waits.length === 1) return `${calls} for ${holder(waits[0]!, name(waits[0]!.name))}`;
  const named = waits.slice(0, NAMED).map((w) => `${w.calls} for ${holder(w, name(w.name))}`);
  if (waits.length > NAMED) named.push('…');
  return `${calls}: ${named.join(', ')}`;
}
