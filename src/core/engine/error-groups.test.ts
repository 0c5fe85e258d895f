// The summary's topErrors: failures grouped by owner and by message (digits and the text past 80
// characters do not tell them apart), commonest first, and bounded whatever a run meets.
import { describe, expect, it } from 'vitest';
import { ErrorGroups } from './error-groups.js';

describe('ErrorGroups', () => {
  it('groups messages that differ only in digits or after 80 characters, per target and per evaluator', () => {
    const g = new ErrorGroups();
    g.add({ targetId: 'agent' }, 'HTTP 429 from http://127.0.0.1:4100: slow down');
    g.add({ targetId: 'agent' }, 'HTTP 429 from http://127.0.0.1:4187: slow down');
    g.add({ targetId: 'agent' }, 'timed out after 30000 ms');
    g.add({ targetId: 'other' }, 'timed out after 30000 ms');
    g.add({ evaluatorId: 'judge' }, `the judge's answer is not JSON: ${'a'.repeat(80)}`);
    g.add({ evaluatorId: 'judge' }, `the judge's answer is not JSON: ${'a'.repeat(80)}b`);
    g.add({ targetId: 'agent' }, 'HTTP 429 from http://127.0.0.1:4999: slow down again');
    expect(g.top()).toEqual([
      // The first message of a group is the one shown.
      { targetId: 'agent', message: 'HTTP 429 from http://127.0.0.1:4100: slow down', count: 2 },
      { evaluatorId: 'judge', message: `the judge's answer is not JSON: ${'a'.repeat(80)}`, count: 2 },
      { targetId: 'agent', message: 'timed out after 30000 ms', count: 1 },
      { targetId: 'other', message: 'timed out after 30000 ms', count: 1 },
      { targetId: 'agent', message: 'HTTP 429 from http://127.0.0.1:4999: slow down again', count: 1 },
    ]);
  });

  it('lists five groups at most, keeps 300 characters of a message, and stops counting new kinds at 200', () => {
    const g = new ErrorGroups();
    // Kinds told apart by letters (digits do not count): aa, ab, …
    const kind = (i: number) => `failure ${String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26))} ${'x'.repeat(400)}`;
    for (let i = 0; i < 300; i++) g.add({ targetId: 't' }, kind(i));
    // A kind met before the 200th goes on counting; one met after it is not counted.
    for (let n = 0; n < 3; n++) g.add({ targetId: 't' }, kind(199));
    for (let n = 0; n < 5; n++) g.add({ targetId: 't' }, kind(250));
    const top = g.top();
    expect(top).toHaveLength(5);
    expect(top[0]).toEqual({ targetId: 't', message: kind(199).slice(0, 300), count: 4 });
    expect(top.slice(1).every((x) => x.count === 1)).toBe(true);
    expect(top.some((x) => x.message.startsWith(kind(250).slice(0, 12)))).toBe(false);
  });
});
