// Text a server quotes (a provider's error body, an agent's answer) made safe for a terminal:
// on one line, without control characters — an escape sequence could clear the screen, retitle
// the window or hide the lines before it — and cut to a length.

export function terminalText(text: string, maxChars: number): string {
  // C0 and C1 controls (escape sequences among them) become spaces.
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}
