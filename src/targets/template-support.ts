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

/** A small LRU keyed by template text, bounded by entries and by total template length. */
export class TemplateCache<V> {
  private readonly map = new Map<string, V>();
  private chars = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxChars: number,
  ) {}

  get(key: string, make: () => V): V {
    const hit = this.map.get(key);
    if (hit !== undefined) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit;
    }
    const value = make();
    if (key.length <= this.maxChars / 4) {
      this.map.set(key, value);
      this.chars += key.length;
      for (const oldest of this.map.keys()) {
        if (this.map.size <= this.maxEntries && this.chars <= this.maxChars) break;
        this.map.delete(oldest);
        this.chars -= oldest.length;
      }
    }
    return value;
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
