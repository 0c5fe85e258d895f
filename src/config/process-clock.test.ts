// The process clock lifts Node's listener limit on the signals many calls listen to (a cell's
// evaluators), and only on those: lifting it costs a few µs a signal.
import { setImmediate as tick } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { SHARED_SIGNAL } from '../core/ports.js';
import { FakeClock } from '../testing/fake-clock.js';
import { processClock } from './process-clock.js';

/** The process warnings emitted while `work` adds its listeners. */
async function warningsDuring(work: () => void): Promise<string[]> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.name);
  process.on('warning', onWarning);
  try {
    work();
    await tick();
    await tick();
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

it('lifts the listener limit of shared deadline signals only', async () => {
  const clock = processClock(new FakeClock());
  const shared = clock.deadline(1000, undefined, SHARED_SIGNAL);
  const single = clock.deadline(1000);
  // Twenty judges' calls on one shared signal: no MaxListenersExceededWarning.
  expect(await warningsDuring(() => {
    for (let i = 0; i < 20; i++) shared.signal.addEventListener('abort', () => {});
  })).toEqual([]);
  // A single call's deadline keeps Node's limit, and its warning. (Node prints that warning to the
  // test output too: the MaxListenersExceededWarning seen in `npm test` is this one.)
  expect(await warningsDuring(() => {
    for (let i = 0; i < 20; i++) single.signal.addEventListener('abort', () => {});
  })).toEqual(['MaxListenersExceededWarning']);
  shared.clear();
  single.clear();
});
