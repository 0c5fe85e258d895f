// What the Liquid renderer and the simple-template renderer share: the scope and escape types,
// the default output, template errors (redacted before they are cut) and the bounded cache of
// parsed templates. A leaf module, so neither renderer imports the other's internals.
import { CallError } from '../core/model/results.js';
import type { Redactor } from './redact.js';

/** Turns one `{{ }}` output into the text that is written. */
export type OutputEscape = (value: unknown) => string;

/** Template scope: row columns, `parameters` and, where allowed, `secrets`. */
export type Scope = Record<string, unknown>;

/** Liquid's errors can quote a whole line of template; keep messages short. */
const MAX_ERROR = 300;

/** Default output: Liquid's own text for scalars, JSON text for objects and arrays. */
export function plainOutput(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}

/** One cached template, with the bit the second-chance eviction reads. */
interface Entry<V> {
  value: V;
  used: boolean;
  /** What it counts against the bound: its key's length, or the weight it was given. */
  weight: number;
}

/**
 * A small cache keyed by template text, bounded by entries and by total template length, that
 * evicts by second chance (CLOCK), an approximation of least-recently-used: a hit only sets the
 * entry's `used` bit, where a true LRU re-inserts the key on every hit. That re-insertion ran for
 * every rendered message of every cell, and the map entries it made lived long enough to reach
 * V8's old generation (≈ 0.25 MB a 2,000-cell run; docs/benchmarks.md, "Memory"). Eviction pays
 * instead: it walks from the oldest entry, sends a used one to the back with its bit cleared, and
 * drops the first one not used since its last pass.
 */
export class TemplateCache<V> {
  private readonly map = new Map<string, Entry<V>>();
  private chars = 0;

  /**
   * @param maxChars bound on the entries' total weight: their keys' lengths, unless `get` is
   *   given a weight (a parsed template's size grows with its tags, not its text: 700–900 bytes
   *   a tag, so 7.5 MB of `{{a}}` held 1.5 GB when the bound was the text's length).
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  get(key: string, make: () => V, weigh?: (key: string) => number): V {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      hit.used = true;
      return hit.value;
    }
    const value = make();
    const weight = weigh ? weigh(key) : key.length;
    if (weight <= this.maxChars / 4) {
      this.map.set(key, { value, used: false, weight });
      this.chars += weight;
      this.evict();
    }
    return value;
  }

  /** Second chance: at most one pass over what is there before an unused entry comes round. */
  private evict(): void {
    for (const [oldest, entry] of this.map) {
      if (this.map.size <= this.maxEntries && this.chars <= this.maxChars) return;
      this.map.delete(oldest);
      if (entry.used) {
        entry.used = false;
        this.map.set(oldest, entry);
      } else {
        this.chars -= entry.weight;
      }
    }
  }
}

/**
 * Liquid's message, one line, cut to MAX_ERROR. A render with secrets in scope can quote one
 * (`{% include {{ secrets.X }} %}` names the value it looked up), so the secrets are redacted
 * before the cut: redacting after would miss a value the cut had shortened.
 */
export function shortMessage(error: unknown, redactor?: Redactor): string {
  const text = error instanceof Error ? error.message : String(error);
  const flat = (redactor ? redactor.text(text) : text).replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR ? `${flat.slice(0, MAX_ERROR)}…` : flat;
}

export function templateError(error: unknown, redactor?: Redactor): CallError {
  return new CallError(`template error: ${shortMessage(error, redactor)}`, { retryable: false, cause: error });
}
