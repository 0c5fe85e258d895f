// Where a text stops being UTF-8, for an error that says where to look.

/**
 * Offset of the first byte that is not part of valid UTF-8. The strict decoder says that there
 * is one, not where; the replacing decoder's output is walked in step with the bytes instead:
 * each code point stands for its own UTF-8 length, and the first U+FFFD where the bytes are not
 * EF BF BD (a real U+FFFD in the file) is where the invalid sequence starts.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  let at = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    if (cp === 0xfffd && !(bytes[at] === 0xef && bytes[at + 1] === 0xbf && bytes[at + 2] === 0xbd)) return at;
    at += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return at;
}

/**
 * What the bytes of a text that is not UTF-8 probably are, as a hint: UTF-16 (a byte order mark
 * FF FE or FE FF, as Windows' "Unicode" saves), else the single-byte encodings spreadsheets
 * write (Latin-1, Windows-1252).
 */
export function encodingHint(start: Uint8Array): string {
  if ((start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff)) return 'it looks like UTF-16 (a UTF-16 byte order mark): save it as UTF-8';
  return 'save it as UTF-8 (a spreadsheet may have written Latin-1 or Windows-1252)';
}
