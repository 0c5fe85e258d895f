// Model calls of one execution waiting for a slot (targets' and judges'): a project's cap on a provider, a model's
// limit (lowered, or paused, after 429s) or an HTTP origin's. A run held there moved slowly and
// said nothing of why — promptfoo #3883's "evals look hung". This counts the waits as they
// start and end; `watchSlotWaits` tells the run's watchers what changed, at most once a second,
// as a live `waiting` event (docs/decisions.md, "Calls waiting for a slot are shown").
import { every, type Clock } from '../ports.js';
import type { ModelLimiter } from './adaptive-limiter.js';
import type { SlotLimiter } from './limiter.js';

/** How often the waits are looked at; a wait shorter than this is seldom seen, which is the point. */
export const SLOT_WAITS_TICK_MS = 1000;

/** What holds waiting calls: a provider's cap of the project, a model's limit, an HTTP origin's. */
export type SlotKind = 'provider' | 'model' | 'origin';

/** Calls waiting on one key, as the `waiting` event carries them. */
export interface SlotWait {
  kind: SlotKind;
  /** The provider (`ollama`), the model (`openai/gpt-4o-mini`) or the origin (`https://agent.example`). */
  name: string;
  calls: number;
  /** Calls the key lets through at once now (a model's limit moves with 429s). */
  limit?: number;
  /** ms left of a pause the provider asked for (Retry-After), when the key is paused. */
  pausedMs?: number;
}

/** What the limiters know of a key now: its size and, for a model, until when it is paused. */
export type SlotLook = (key: string) => { limit?: number; pausedUntil?: number } | undefined;

/** The kind and name a limiter key stands for (keys: core/model/adapters.ts, targets/http.ts). */
export function slotOf(key: string): { kind: SlotKind; name: string } {
  if (key.startsWith('cap:')) {
    // cap:<project>/<provider>/<n>: a provider's name has no slash, nor does the size.
    const parts = key.split('/');
    return { kind: 'provider', name: parts[parts.length - 2] ?? key };
  }
  if (key.startsWith('model:')) {
    // model:@<project>/<provider>/<model> is a model on the project's own quota: the same model to its users.
    const rest = key.slice('model:'.length);
    return { kind: 'model', name: rest.startsWith('@') ? rest.slice(rest.indexOf('/') + 1) : rest };
  }
  return { kind: 'origin', name: key.startsWith('http:') ? key.slice('http:'.length) : key };
}

export class SlotWaits {
  /** Calls waiting now, by limiter key (a key leaves when its last wait ends). */
  private readonly counts = new Map<string, number>();

  /**
   * `limiter` with every acquire counted while it waits. A slot handed over at once is counted
   * and uncounted within the same turn, so a tick (a timer) sees only calls really held.
   */
  counting(limiter: SlotLimiter): SlotLimiter {
    return {
      acquire: (key, signal, party) => {
        const acquiring = limiter.acquire(key, signal, party);
        this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        const done = (): void => {
          const n = this.counts.get(key)! - 1;
          if (n === 0) this.counts.delete(key);
          else this.counts.set(key, n);
        };
        acquiring.then(done, done);
        return acquiring;
      },
    };
  }

  /** A model limiter (a judge's) with its acquires counted as `counting` does; the rest passed on. */
  countingModel(limiter: ModelLimiter): ModelLimiter {
    const counted = this.counting(limiter);
    return {
      acquire: counted.acquire,
      succeeded: (key) => limiter.succeeded(key),
      throttled: (key, pauseMs) => limiter.throttled(key, pauseMs),
      exhausted: (key, pauseMs) => limiter.exhausted(key, pauseMs),
      keyList: () => limiter.keyList(),
      snapshot: (key) => limiter.snapshot(key),
    };
  }

  /** Adds the calls waiting now to `into`, by kind. */
  addByKind(into: Record<SlotKind, number>): void {
    for (const [key, calls] of this.counts) into[slotOf(key).kind] += calls;
  }

  /** The waits now, largest first; `look` adds each key's limit and pause. */
  current(look: SlotLook | undefined, now: number): SlotWait[] {
    const out: SlotWait[] = [];
    for (const [key, calls] of this.counts) {
      const slot = slotOf(key);
      const wait: SlotWait = { kind: slot.kind, name: slot.name, calls };
      const known = look?.(key);
      if (known?.limit !== undefined) wait.limit = known.limit;
      if (known?.pausedUntil !== undefined && known.pausedUntil > now) wait.pausedMs = known.pausedUntil - now;
      out.push(wait);
    }
    return out.sort((a, b) => b.calls - a.calls || a.name.localeCompare(b.name));
  }
}

/**
 * The waits of every execution in the process, for the `assay_run_calls_waiting` gauge: read
 * at scrape time, so the hot path pays nothing for it.
 */
export class SlotWaitsRegistry {
  private readonly executions = new Set<SlotWaits>();

  /** An execution's waits, counted until the answer is called (its cells are done). */
  add(waits: SlotWaits): () => void {
    this.executions.add(waits);
    return () => this.executions.delete(waits);
  }

  /** Calls waiting now in every execution, by what holds them. */
  byKind(): Record<SlotKind, number> {
    const out: Record<SlotKind, number> = { provider: 0, model: 0, origin: 0 };
    for (const waits of this.executions) waits.addByKind(out);
    return out;
  }
}

/** The text two lists of waits are compared by: a pause counting down is no change. */
const shape = (waits: SlotWait[]): string => waits.map((w) => `${w.kind}\u0000${w.name}\u0000${w.calls}\u0000${w.limit ?? ''}\u0000${w.pausedMs === undefined ? '' : 'p'}`).join('\u0001');

/**
 * Looks at the waits every SLOT_WAITS_TICK_MS and calls `tell` when they changed (a count, a
 * limit, a pause begun or over); the answer stops looking, and tells that none wait any more if
 * the last word was that some did.
 */
export function watchSlotWaits(waits: SlotWaits, clock: Pick<Clock, 'later' | 'now'>, look: SlotLook | undefined, tell: (waits: SlotWait[]) => void): () => void {
  let last = '';
  const stop = every(clock, SLOT_WAITS_TICK_MS, () => {
    const now = waits.current(look, clock.now());
    const text = shape(now);
    if (text === last) return;
    last = text;
    tell(now);
  });
  return () => {
    stop();
    if (last !== '') tell([]);
  };
}
