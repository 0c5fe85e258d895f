// Escapes the non-ASCII characters of a module's comments and regular expression literals, so
// that V8 can keep its source at one byte a character (scripts/bundle.js; docs/decisions.md, "An
// ASCII bundle").
import { parse } from 'acorn';

/** `code` with the non-ASCII characters of its comments and regular expression literals escaped. */
export function asciiComments(code) {
  if (!/[^\x00-\x7f]/.test(code)) return code;
  const spans = [];
  parse(code, {
    ecmaVersion: 'latest',
    sourceType: 'module',
    onComment: (_block, _text, start, end) => spans.push([start, end]),
    onToken: (token) => {
      if (token.type.label === 'regexp') spans.push([token.start, token.end]);
    },
  });
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    const text = code.slice(start, end);
    if (!/[^\x00-\x7f]/.test(text)) continue;
    out += code.slice(at, start) + escapeNonAscii(text);
    at = end;
  }
  return out + code.slice(at);
}

/**
 * Each non-ASCII UTF-16 unit of `text` as \uXXXX: in a regular expression it matches what the
 * character did (a surrogate pair of escapes is one code point under the u and v flags). An
 * identity escape (`\é`: an odd run of backslashes before it) loses its backslash, which would
 * otherwise escape the new one.
 */
function escapeNonAscii(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      out += text[i];
      continue;
    }
    let slashes = 0;
    for (let j = out.length - 1; j >= 0 && out[j] === '\\'; j--) slashes++;
    if (slashes % 2 === 1) out = out.slice(0, -1);
    out += `\\u${unit.toString(16).padStart(4, '0')}`;
  }
  return out;
}
