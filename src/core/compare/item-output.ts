// A comparison item's output, cut to a few thousand characters for display, from the head of its
// stored JSON text: outputs can be megabytes, and a page of 1,000 items read them whole before.

/** What storage gives for one cell: its error, or the head of its stored JSON text (whole or cut). */
export type OutputHead = { cell: number; ok: false; error: string } | { cell: number; ok: true; text: string; whole: boolean };

/**
 * Code points of stored text to read for `chars` characters of display: a string's JSON text
 * spends at most 6 characters on one of its own (`\uXXXX`), plus its quotes.
 */
export function headLength(chars: number): number {
  return 6 * chars + 2;
}

/**
 * The output as a comparison shows it: a string as itself, anything else as its JSON text, and
 * past `chars` characters the first `chars` and '…'; within them, the value itself.
 */
export function itemOutput(head: OutputHead, chars: number): unknown {
  if (!head.ok) return { error: head.error };
  if (head.whole) {
    const value: unknown = JSON.parse(head.text);
    const shown = typeof value === 'string' ? value : head.text;
    return shown.length <= chars ? value : `${shown.slice(0, chars)}…`;
  }
  // Cut: longer than `chars` either way (headLength says why).
  const shown = head.text.startsWith('"') ? stringPrefix(head.text) : head.text;
  return `${shown.slice(0, chars)}…`;
}

/** The characters of a JSON string whose text was cut short (no closing quote, maybe mid-escape). */
function stringPrefix(text: string): string {
  let end = text.length;
  // An escape cut short ends the text: a backslash, or `\u` and up to three hex digits, whose
  // backslash is not itself escaped (an odd run of backslashes).
  const m = /\\(?:u[0-9a-fA-F]{0,3})?$/.exec(text);
  if (m) {
    let slashes = 0;
    for (let i = m.index; i >= 0 && text[i] === '\\'; i--) slashes++;
    if (slashes % 2 === 1) end = m.index;
  }
  return JSON.parse(`${text.slice(0, end)}"`) as string;
}
