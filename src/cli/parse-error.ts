// One line for a document that does not parse. The yaml library's messages end their first
// line with "at line L, column C:" and go on with the line and a caret: cut at the first line,
// the message ended in a colon that promised text it did not show.

/** `message` of a YAML or JSON parse error, on one line, with the offending text when known. */
export function parseErrorText(message: string): string {
  const [head = '', ...rest] = message.split('\n');
  const at = /\s*at line (\d+), column (\d+):$/.exec(head);
  if (!at) return head;
  const source = rest.find((l) => l.trim() !== '' && !/^\s*\^+\s*$/.test(l))?.trim();
  const shown = source === undefined ? '' : `: ${JSON.stringify(source.length > 80 ? `${source.slice(0, 80)}…` : source)}`;
  return `${head.slice(0, at.index)} (line ${at[1]}, column ${at[2]}${shown})`;
}
