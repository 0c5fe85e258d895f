// Secret values must never reach results, events, logs or errors (SPEC §4). A Redactor knows
// the secret values one call used, in every form they may come back in, and replaces them.
import { CallError } from '../core/model/results.js';

export const REDACTED = '[redacted]';

/** Replaces known secret values in strings and, deeply, in JSON values. */
export class Redactor {
  private readonly pattern: RegExp | null;

  /** `values`: the secret values (and derived forms such as base64 credentials) to hide. */
  constructor(values: Iterable<string>) {
    const forms = new Set<string>();
    for (const value of values) {
      if (value === '') continue;
      forms.add(value);
      // The forms a value takes in a URL or inside a JSON string, as an echo may show it.
      forms.add(encodeURIComponent(value));
      forms.add(JSON.stringify(value).slice(1, -1));
    }
    forms.delete('');
    // Longest first, so a secret containing another is replaced whole.
    const sorted = [...forms].sort((a, b) => b.length - a.length);
    this.pattern = sorted.length === 0 ? null : new RegExp(sorted.map(escapeRegExp).join('|'), 'g');
  }

  get active(): boolean {
    return this.pattern !== null;
  }

  text(value: string): string {
    return this.pattern === null ? value : value.replace(this.pattern, REDACTED);
  }

  /** A copy of a JSON value with secrets replaced in every string, keys included. */
  deep(value: unknown): unknown {
    if (this.pattern === null) return value;
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item) => this.deep(item));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, this.text(key), { value: this.deep(item), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  }

  /**
   * The same decision with a redacted message. The cause is dropped when secrets are in play:
   * a low-level error can quote a URL or header that holds one.
   */
  error(error: CallError): CallError {
    if (this.pattern === null) return error;
    return new CallError(this.text(error.message), { retryable: error.retryable, retryAfterMs: error.retryAfterMs, status: error.status });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
