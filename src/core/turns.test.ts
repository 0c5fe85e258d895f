import { describe, expect, it } from 'vitest';
import { nextTurn, TURN_BUDGET_MS, turnElapsed, yieldIfBusy } from './turns.js';

/** Holds the main thread for `ms`, as a synchronous statement or parse would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('turns of the event loop', () => {
  it('lets a timer run between the steps of long work once a turn has used its budget', async () => {
    await nextTurn();
    const ranAfterStep: number[] = [];
    let step = 0;
    setTimeout(() => ranAfterStep.push(step), 0);
    for (; step < 10; step++) {
      busy(TURN_BUDGET_MS / 2);
      await yieldIfBusy();
    }
    // Without the turns the timer would run only after all ten steps (5 × the budget).
    expect(ranAfterStep).toHaveLength(1);
    expect(ranAfterStep[0]).toBeLessThan(10);
  });

  it('counts work done before its first question in a turn', async () => {
    await nextTurn();
    busy(TURN_BUDGET_MS * 2);
    // Nothing asked during those 30 ms: the estimate still sees them (the loop was not idle).
    expect(turnElapsed()).toBeGreaterThanOrEqual(TURN_BUDGET_MS * 2 - 1);
  });

  it('starts counting again after the turn ends, leaving out time the loop was idle', async () => {
    busy(TURN_BUDGET_MS * 2);
    turnElapsed();
    await new Promise((resolve) => setTimeout(resolve, TURN_BUDGET_MS * 3));
    // 45 ms of waiting for a timer is idle time, not work of this turn: counted, it would read
    // ≥ 75 ms (the 30 ms before the wait and the wait); 60 leaves room for a busy machine.
    expect(turnElapsed()).toBeLessThan(60);
  });
});
