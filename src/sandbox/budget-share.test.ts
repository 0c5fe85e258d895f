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

describe('sandbox budget under random use', () => {
  it('keeps its bounds and leaves no call waiting that could be served, over 300 random histories', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(random() * xs.length)];
    for (let history = 0; history < 300; history++) {
      const limit = 1 + Math.floor(random() * 6);
      const budget = new IsolateBudget(limit);
      const owners = (['a', 'b', 'c', null] as const).slice(0, 1 + Math.floor(random() * 4));
      type Held = { owner: string | null; slot?: Slot; state: 'busy' | 'idle' | 'reclaimed' | 'released' };
      const slots: Held[] = [];
      const calls: { owner: string | null; controller: AbortController; settled: boolean }[] = [];
      for (let step = 0; step < 150; step++) {
        const op = pick(['acquire', 'acquire', 'idle', 'idle', 'busy', 'release', 'abort'])!;
        if (op === 'acquire') {
          const held: Held = { owner: pick([...owners])!, state: 'busy' };
          const call = { owner: held.owner, controller: new AbortController(), settled: false };
          calls.push(call);
          const reclaim = () => {
            expect(held.state, 'only an idle isolate is taken back').toBe('idle');
            held.state = 'reclaimed';
          };
          budget.acquire(held.owner, reclaim, call.controller.signal).then(
            (slot) => { held.slot = slot; slots.push(held); call.settled = true; },
            () => { call.settled = true; },
          );
        } else if (op === 'idle') {
          const held = pick(slots.filter((h) => h.state === 'busy'));
          if (held) { held.state = 'idle'; held.slot!.idle(); }
        } else if (op === 'busy') {
          const held = pick(slots.filter((h) => h.state === 'idle' || h.state === 'reclaimed'));
          if (held) {
            const pinned = held.slot!.busy();
            expect(pinned, 'busy() answers whether the isolate is still there').toBe(held.state === 'idle');
            if (pinned) held.state = 'busy';
          }
        } else if (op === 'release') {
          const held = pick(slots.filter((h) => h.state === 'busy' || h.state === 'idle'));
          if (held) { held.slot!.release(); held.state = 'released'; }
        } else {
          pick(calls.filter((c) => !c.settled))?.controller.abort();
        }
        await tick();
        const live = slots.filter((h) => h.state === 'busy' || h.state === 'idle');
        expect(live.length).toBeLessThanOrEqual(limit);
        for (const owner of owners) {
          const mine = live.filter((h) => h.owner === owner).length;
          expect(budget.heldBy(owner)).toBe(mine);
          if (owner !== null) expect(mine).toBeLessThanOrEqual(budget.perOwner);
        }
        const waiting = calls.filter((c) => !c.settled);
        expect(budget.waiting).toBe(waiting.length);
        const idle = live.filter((h) => h.state === 'idle');
        for (const call of waiting) {
          const underShare = call.owner === null || budget.heldBy(call.owner) < budget.perOwner;
          if (underShare) expect(live.length === limit && idle.length === 0, `a call of ${call.owner} waits with room free`).toBe(true);
          else expect(idle.some((h) => h.owner === call.owner), `a call of ${call.owner} waits beside its own idle isolate`).toBe(false);
        }
      }
    }
  }, 60_000);
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
    // Both: a slot counts as alive once its isolate is made, which may come after the other two
    // spinners start waiting (seen once in CI on a busy machine: alive 1, waiting 2).
    while ((sandbox.stats().waiting < 2 || sandbox.stats().alive < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(sandbox.stats()).toMatchObject({ alive: 2, waiting: 2 });
    // Before shares, the hog's four spinners took all four slots for their minute.
    const other = await sandbox.forOwner('project-other').compile('return row.n * 2', { params: ['row'], timeoutMs: 5_000 });
    open.push(other);
    expect(await other.call([{ n: 21 }], AbortSignal.timeout(20_000))).toBe(42);
    for (const fn of spinners) fn.dispose();
    await Promise.all(spinning);
  }, 60_000);
});
