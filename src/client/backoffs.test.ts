// Calls backing off as `assay run` and the run page say it: the waits not yet over, counted,
// with the latest reason (made safe for a terminal by the CLI), and, in CI logs, a line once
// they have gone on for half a second (a burst of 429s counted whole) and at most one every 15 s.
import { describe, expect, it } from 'vitest';
import { progressView } from '../cli/progress.js';
import { terminalText } from '../cli/terminal-text.js';
import { Backoffs, backoffText } from './backoffs.js';

/** The note as `assay run` words it. */
const note = (b: Backoffs) => {
  const s = b.current();
  return s ? backoffText(s, terminalText(s.reason, 80)) : '';
};

const cell = (rowIndex: number, delayMs: number, reason = 'HTTP 429: slow down') => ({ rowIndex, targetId: 'gpt', repeat: 0, delayMs, reason });

describe('Backoffs', () => {
  it('counts the waits not yet over and says when the soonest ends', () => {
    let now = 1_000;
    const b = new Backoffs(() => now);
    expect(note(b)).toBe('');
    b.retrying(cell(0, 5_000));
    b.retrying(cell(1, 2_500, 'HTTP 503'));
    expect(note(b)).toBe('2 calls backing off (HTTP 503), next try in 3 s');
    now += 2_600;
    // Row 1's wait is over: its call is in flight again.
    expect(note(b)).toBe('1 call backing off (HTTP 429: slow down), next try in 3 s');
  });

  it('forgets a cell once its target answered, and a wait once it is over', () => {
    let now = 0;
    const b = new Backoffs(() => now);
    b.retrying(cell(0, 10_000));
    b.retrying(cell(1, 10_000));
    b.settled({ rowIndex: 0, targetId: 'gpt', repeat: 0 });
    expect(note(b)).toBe('1 call backing off (HTTP 429: slow down), next try in 10 s');
    now = 10_000;
    expect(note(b)).toBe('');
  });

  it("shows a provider's reason on one line, without control characters, cut to 80 characters", () => {
    const b = new Backoffs(() => 0);
    b.retrying(cell(0, 1_000, `HTTP 429: \u001b[2J\u001b]0;owned\u0007${'x'.repeat(200)}\nmore`));
    const text = note(b);
    // eslint-disable-next-line no-control-regex -- the characters it must not find
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(text).toMatch(/^1 call backing off \(HTTP 429: \[2J ]0;owned x+…\), next try in 1 s$/);
    expect(text.length).toBeLessThan(130);
  });
});

describe('the progress line in CI logs', () => {
  it('writes a note once calls have backed off for half a second, then at most one every 15 s', () => {
    let now = 0;
    const lines: string[] = [];
    const out = { isTTY: false } as unknown as NodeJS.WriteStream;
    const view = progressView(10, out, (text) => lines.push(text), () => now);
    view.note('');
    view.note('2 calls backing off (HTTP 429), next try in 5 s');
    now += 1_000;
    view.note('2 calls backing off (HTTP 429), next try in 4 s');
    view.note('');
    now += 14_000;
    view.note('1 call backing off (HTTP 429), next try in 9 s');
    now += 500;
    // Settled, but within 15 s of the last line.
    view.note('1 call backing off (HTTP 429), next try in 9 s');
    now += 500;
    view.note('1 call backing off (HTTP 429), next try in 8 s');
    expect(lines).toEqual(['  2 calls backing off (HTTP 429), next try in 4 s\n', '  1 call backing off (HTTP 429), next try in 8 s\n']);
  });
});
