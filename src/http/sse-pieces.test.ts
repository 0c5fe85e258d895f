// An event with a big string output is framed a piece at a time (framePieces): the pieces,
// joined, must be the frame the event has whole, to the character, whatever the output holds
// (quotes, escapes, control characters, line separators, emoji on a piece's edge, a lone
// surrogate), and no piece may be much larger than a socket write.
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/events.js';
import { framePieces } from './sse-frames.js';

const PIECE = 256 * 1024;

function event(output: string): RunEvent {
  return { type: 'target_result', seq: 42, rowIndex: 3, targetId: 't"1', repeat: 0, output, durationMs: 5, metadata: { note: 'a "quoted"\nline' } } as unknown as RunEvent;
}

const whole = (e: RunEvent): string => `id: ${e.seq}\ndata: ${JSON.stringify(e)}\n\n`;

describe('framePieces', () => {
  const outputs: [string, string][] = [
    ['plain text', 'v'.repeat(3 * PIECE + 17)],
    ['quotes, backslashes and control characters', '"\\\n\t\u0001\u001f'.repeat(PIECE / 3)],
    ['line separators and non-Latin text', '\u2028\u2029 日本語 '.repeat(PIECE / 4)],
    // Emoji (two UTF-16 units each) from PIECE - 1 on: the first straddles the first piece's edge.
    ['surrogate pairs on the edges', `${'x'.repeat(PIECE - 1)}${'😀'.repeat(PIECE)}`],
    ['a lone surrogate', `${'y'.repeat(PIECE + 5)}\ud800${'z'.repeat(PIECE)}\udc00`],
    ['a NUL', `${'\u0000'.repeat(PIECE + 1)}`],
  ];
  for (const [what, output] of outputs) {
    it(`joins into the whole frame: ${what}`, () => {
      const e = event(output);
      const pieces = [...framePieces(e, output)];
      expect(pieces.length).toBeGreaterThan(2);
      expect(pieces.join('')).toBe(whole(e));
      // A piece's characters: at most a slice's, escaped (six for a control character).
      for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(6 * PIECE);
      const parsed = JSON.parse(pieces.join('').slice('id: 42\ndata: '.length)) as { output: string };
      expect(parsed.output).toBe(output);
    });
  }

  it('keeps the output where the event has it, among its other fields', () => {
    const e = event('o'.repeat(PIECE + 1));
    expect(Object.keys(JSON.parse([...framePieces(e, (e as unknown as { output: string }).output)].join('').slice(13)) as object)).toEqual(Object.keys(e));
  });
});
