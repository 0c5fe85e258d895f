// Prompts, rows and outputs on spans (only with ASSAY_TRACE_CONTENT=true): JSON text, cut to a
// size a collector accepts. Secrets never get here: they only ever fill HTTP target urls and
// headers, which no span carries, and outputs are redacted by the targets before they return.

/** Longest attribute text; collectors commonly refuse or cut attributes far larger than this. */
export const MAX_CONTENT_CHARS = 16_384;

export function contentText(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > MAX_CONTENT_CHARS ? `${text.slice(0, MAX_CONTENT_CHARS)}…` : text;
}
