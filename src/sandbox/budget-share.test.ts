// One project's share of the sandbox: the budget's policy alone (fake isolates: `reclaim` only
// records), then with real isolates, a project whose code spins in more functions than the
// budget has slots while another project's code still runs.
import { afterEach, describe, expect, it } from 'vitest';
import type { SandboxFunction } from '../core/model/adapters.js';
import { IsolateBudget, type Slot } from './budget.js';
import { IsolatedSandbox } from './isolated.js';

const never = new AbortController().signal;
const tick = () => new Promise((r) => setImmediate(r));

/** Acquires for `owner`; `granted` holds the slot once it came. */
function ask(budget: IsolateBudget, owner: string | null, reclaimed: string[] = [], signal = never) {
  const state: { slot?: Slot; error?: unknown } = {};
  budget.acquire(owner, () => reclaimed.push(String(owner)), signal).then((s) => (state.slot = s), (e: unknown) => (state.error = e));
  return state;
}

describe('sandbox budget shares', () => {
  it('gives one owner at most half the slots, however many it asks for', async () => {
    const budget = new IsolateBudget(4);
    expect(budget.perOwner).toBe(2);
    const a = Array.from({ length: 4 }, () => ask(budget, 'a'));
    await tick();
    expect(a.filter((s) => s.slot)).toHaveLength(2);
    expect(budget.waiting).toBe(2);
    // Another project is served at once from the half left.
    const b = [ask(budget, 'b'), ask(budget, 'b')];
    await tick();
    expect(b.every((s) => s.slot)).toBe(true);
    expect(budget.heldBy('a')).toBe(2);
    // A waiting call of `a` gets a slot when one of `a`'s own is released.
    a[0]!.slot!.release();
    await tick();
    expect(a.filter((s) => s.slot)).toHaveLength(3);
    expect(budget.heldBy('a')).toBe(2);
  });

  it('serves the waiting owner that holds fewest first, in arrival order among equals', async () => {
    const budget = new IsolateBudget(4);
    const held = [ask(budget, 'a'), ask(budget, 'a'), ask(budget, 'b'), ask(budget, 'c')];
    await tick();
    expect(held.every((s) => s.slot)).toBe(true);
    const b2 = ask(budget, 'b');
    const d1 = ask(budget, 'd');
    const d2 = ask(budget, 'd');
    await tick();
    expect(budget.waiting).toBe(3);
    held[0]!.slot!.release();
    await tick();
    // `d` holds none and `b` one: `d` goes first though `b` asked before it.
    expect([b2.slot, d1.slot, d2.slot].map(Boolean)).toEqual([false, true, false]);
    held[3]!.slot!.release();
    await tick();
    // `b` and `d` hold one each now: `b` asked first.
    expect([b2.slot, d2.slot].map(Boolean)).toEqual([true, false]);
  });

  it('takes back an idle slot for a waiting owner under its share, and an owner’s own idle slot for itself', async () => {
    const budget = new IsolateBudget(2);
    const reclaimed: string[] = [];
    const a = ask(budget, 'a', reclaimed);
    const b = ask(budget, 'b', reclaimed);
    await tick();
    a.slot!.idle();
    b.slot!.idle();
    // Both idle, both slots live: a third owner takes the least recently used one.
    const c = ask(budget, 'c', reclaimed);
    await tick();
    expect(c.slot).toBeDefined();
    expect(reclaimed).toEqual(['a']);
    expect(a.slot!.busy()).toBe(false);
    // `b` is at its share (one of two) with an idle isolate: its next function reuses that slot.
    const b2 = ask(budget, 'b', reclaimed);
    await tick();
    expect(b2.slot).toBeDefined();
    expect(reclaimed).toEqual(['a', 'b']);
    expect(budget.heldBy('b')).toBe(1);
  });

  it('leaves code without an owner out of the shares', async () => {
    const budget = new IsolateBudget(4);
    const all = Array.from({ length: 4 }, () => ask(budget, null));
    await tick();
    expect(all.every((s) => s.slot)).toBe(true);
  });

  it('stops waiting when the signal aborts, and serves the next', async () => {
    const budget = new IsolateBudget(2);
    const a = ask(budget, 'a');
    const b = ask(budget, 'b');
    const controller = new AbortController();
    const c = ask(budget, 'c', [], controller.signal);
    const d = ask(budget, 'd');
    await tick();
    controller.abort(new Error('gave up'));
    await tick();
    expect((c.error as Error).message).toBe('gave up');
    a.slot!.release();
    await tick();
    expect(d.slot).toBeDefined();
    expect(b.slot).toBeDefined();
    expect(budget.waiting).toBe(0);
  });
});

describe('sandbox shares with real isolates', () => {
  const open: SandboxFunction[] = [];
  afterEach(() => {
    for (const fn of open.splice(0)) fn.dispose();
  });

  it('runs another project’s code while one project spins in more functions than there are slots', async () => {
    const sandbox = new IsolatedSandbox({ memoryBudgetMb: 512 });
    expect(sandbox.stats()).toMatchObject({ limit: 4, perOwner: 2 });
    const hog = sandbox.forOwner('project-hog');
    const spinners = await Promise.all(Array.from({ length: 4 }, () => hog.compile('while (true) {}', { params: ['row'], timeoutMs: 60_000 })));
    open.push(...spinners);
    const spinning = spinners.map((fn) => fn.call([{}], never).catch((e: unknown) => e));
    const deadline = Date.now() + 20_000;
    while (sandbox.stats().waiting < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sandbox.stats()).toMatchObject({ alive: 2, waiting: 2 });
    // Before shares, the hog's four spinners took all four slots for their minute.
    const other = await sandbox.forOwner('project-other').compile('return row.n * 2', { params: ['row'], timeoutMs: 5_000 });
    open.push(other);
    expect(await other.call([{ n: 21 }], AbortSignal.timeout(20_000))).toBe(42);
    for (const fn of spinners) fn.dispose();
    await Promise.all(spinning);
  }, 60_000);
});
