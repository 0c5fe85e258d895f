// Turns of the event loop for long work on the main thread. better-sqlite3 runs each statement
// synchronously and Kysely chains statements through promises (microtasks), so a request that
// writes 60,000 rows in 120 statements, or checks and stores a 10 MB document, never lets the
// event loop turn: measured on 2026-12-04, one such request held every other request, SSE
// frame and timer for 240–350 ms. Work that loops calls `yieldIfBusy()` between its steps; once
// the current macrotask has run for TURN_BUDGET_MS it waits for the next turn (setImmediate),
// so timers and sockets are served in between. Below the budget it costs one clock read.


/** How long one macrotask may run before a step of long work gives the turn away. */
export const TURN_BUDGET_MS = 15;

let budget = TURN_BUDGET_MS;

/** The budget in force (TURN_BUDGET_MS unless a test changed it). */
export function turnBudget(): number {
  return budget;
}

/**
 * For tests: with 0, every step of long work gives the turn away, so a test can count the
 * steps by the turns they take, on a machine of any speed.
 */
export function setTurnBudget(ms: number): void {
  budget = ms;
}

/** When the current turn began (an estimate), or -1 before its first question. */
let turnStartedAt = -1;
/** When the last counted turn ended, and the event loop's idle total then. */
let endedAt = performance.now();
let idleAtEnd = idleTime();

/** Milliseconds the event loop has spent waiting for I/O since the process started. */
function idleTime(): number {
  return performance.nodeTiming.idleTime;
}

function endTurn(): void {
  turnStartedAt = -1;
  endedAt = performance.now();
  idleAtEnd = idleTime();
}

/**
 * Milliseconds the current turn has run. Nothing marks the start of a macrotask, so the first
 * question of a turn estimates it: the loop has been busy since the last counted turn ended,
 * except for the time it waited for I/O in between. The estimate can only be too long (work of
 * earlier turns counts), which gives a turn away early, never late.
 */
export function turnElapsed(): number {
  const now = performance.now();
  if (turnStartedAt < 0) {
    const busy = now - endedAt - (idleTime() - idleAtEnd);
    turnStartedAt = now - Math.max(0, busy);
    // The turn ends once the loop has been through its timers and I/O (see nextTurn).
    afterIteration(endTurn);
  }
  return now - turnStartedAt;
}

/**
 * Calls `f` once the event loop has served its timers and polled for I/O. One setImmediate is
 * not enough: scheduled from an I/O callback (a request's body arriving) it runs in the same
 * iteration's check phase, before any timer or new I/O; the lag probe of 2026-12-04 saw decode
 * and parse of a 10 MB body run back to back that way (102 ms). The second one, scheduled from
 * the check phase, runs in the next iteration, after both.
 */
function afterIteration(f: () => void): void {
  setImmediate(() => setImmediate(f));
}

/** Waits for the next turn of the event loop: its timers and I/O are served first. */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => afterIteration(resolve));
}

/**
 * Gives the turn away when this macrotask has run for the budget or more. Woken, it asks again
 * before going on: every task waiting for the next turn wakes in the same iteration, and if each
 * went on with one step, N readers of a large run (exports, SSE replays) ran N steps in one
 * stretch (10 exports held the thread 0.6 s). So the first one woken works the turn and the
 * others wait for a later one. (With a budget of 0, for tests, one wait a step as before.)
 */
export async function yieldIfBusy(): Promise<void> {
  if (turnElapsed() < budget) return;
  for (;;) {
    await nextTurn();
    if (budget === 0 || turnElapsed() < budget) return;
  }
}
