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

  it('lets one of many tasks woken together work a turn, the others wait for later ones', async () => {
    await nextTurn();
    // The loop's iterations, counted in its timers phase (once each: every step is longer than 1 ms).
    let iteration = 0;
    let counting = true;
    const tick = () => {
      iteration++;
      if (counting) setTimeout(tick, 0);
    };
    setTimeout(tick, 0);
    const stepsIn = new Map<number, number>();
    const step = TURN_BUDGET_MS / 3 + 1;
    const task = async () => {
      for (let i = 0; i < 6; i++) {
        await yieldIfBusy();
        busy(step);
        stepsIn.set(iteration, (stepsIn.get(iteration) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 6 }, task));
    counting = false;
    // A turn holds as many steps as fit in the budget and one more (the step that crosses it):
    // three here. Woken tasks that went on with a step each made one iteration hold 3 + 5.
    expect([...stepsIn.values()].reduce((a, b) => a + b, 0)).toBe(36);
    // Iteration 0 is the start, where all six asked before any had worked (requests start in
    // turns of their own); from then on they wake together.
    stepsIn.delete(0);
    expect(stepsIn.size).toBeGreaterThan(3);
    expect(Math.max(...stepsIn.values())).toBeLessThanOrEqual(4);
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
