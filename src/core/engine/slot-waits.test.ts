import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../testing/fake-clock.js';
import { providerCapKey, modelLimitKey } from '../model/adapters.js';
import { KeyedLimiter } from './limiter.js';
import { type SlotWait, SlotWaits, SlotWaitsRegistry, slotOf, watchSlotWaits } from './slot-waits.js';

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('slotOf', () => {
  it('names the provider of a cap, the model of a model key (on a project\'s own quota too) and an origin', () => {
    expect(slotOf(providerCapKey('proj_1', 'ollama', 2))).toEqual({ kind: 'provider', name: 'ollama' });
    expect(slotOf(modelLimitKey('openai/gpt-4o-mini'))).toEqual({ kind: 'model', name: 'openai/gpt-4o-mini' });
    expect(slotOf(modelLimitKey('vllm/meta/llama-3', 'proj_1'))).toEqual({ kind: 'model', name: 'vllm/meta/llama-3' });
    expect(slotOf('http:https://agent.example')).toEqual({ kind: 'origin', name: 'https://agent.example' });
  });
});

describe('SlotWaits', () => {
  it('counts the calls held for a slot, not those given one at once, and lets each go when it gets one', async () => {
    const limiter = new KeyedLimiter((key) => (key === 'http:a' ? 1 : 10));
    const waits = new SlotWaits();
    const counting = waits.counting(limiter);
    const first = await counting.acquire('http:a');
    const free = await counting.acquire('http:b');
    const held = [counting.acquire('http:a'), counting.acquire('http:a')];
    await flush();
    expect(waits.current(undefined, 0)).toEqual([{ kind: 'origin', name: 'a', calls: 2 }]);
    first();
    const second = await held[0]!;
    expect(waits.current(undefined, 0)).toEqual([{ kind: 'origin', name: 'a', calls: 1 }]);
    second();
    (await held[1]!)();
    free();
    expect(waits.current(undefined, 0)).toEqual([]);
  });

  it('lets a wait go when its call gives up (the run stops)', async () => {
    const waits = new SlotWaits();
    const counting = waits.counting(new KeyedLimiter(() => 1));
    const release = await counting.acquire('http:a');
    const stop = new AbortController();
    const held = counting.acquire('http:a', stop.signal);
    await flush();
    expect(waits.current(undefined, 0)[0]?.calls).toBe(1);
    stop.abort();
    await expect(held).rejects.toBeDefined();
    expect(waits.current(undefined, 0)).toEqual([]);
    release();
  });

  it('adds what the limiters know: a key\'s limit now and what is left of its pause, largest wait first', async () => {
    const waits = new SlotWaits();
    const counting = waits.counting(new KeyedLimiter(() => 1));
    const model = modelLimitKey('openai/gpt-4o');
    const cap = providerCapKey('proj_1', 'ollama', 1);
    const releases = [await counting.acquire(model), await counting.acquire(cap)];
    void counting.acquire(model);
    void counting.acquire(cap);
    void counting.acquire(cap);
    await flush();
    const look = (key: string) => (key === model ? { limit: 6, pausedUntil: 12_500 } : { limit: 1 });
    expect(waits.current(look, 10_000)).toEqual([
      { kind: 'provider', name: 'ollama', calls: 2, limit: 1 },
      { kind: 'model', name: 'openai/gpt-4o', calls: 1, limit: 6, pausedMs: 2_500 },
    ]);
    // A pause over is not said.
    expect(waits.current(look, 13_000)[1]).toEqual({ kind: 'model', name: 'openai/gpt-4o', calls: 1, limit: 6 });
    for (const r of releases) r();
  });
});

describe('SlotWaitsRegistry', () => {
  it('adds up the waits of the executions it holds, by kind, and forgets one that ended', async () => {
    const registry = new SlotWaitsRegistry();
    const limiter = new KeyedLimiter(() => 1);
    const a = new SlotWaits();
    const b = new SlotWaits();
    const endA = registry.add(a);
    registry.add(b);
    const cap = providerCapKey('proj_1', 'ollama', 1);
    await a.counting(limiter).acquire(cap);
    void a.counting(limiter).acquire(cap);
    void b.counting(limiter).acquire(cap);
    await b.counting(limiter).acquire('http:x');
    void b.counting(limiter).acquire('http:x');
    await flush();
    expect(registry.byKind()).toEqual({ provider: 2, model: 0, origin: 1 });
    endA();
    expect(registry.byKind()).toEqual({ provider: 1, model: 0, origin: 1 });
  });
});

describe('watchSlotWaits', () => {
  it('tells the waits once a second when they changed, not a pause counting down, and that none wait once it stops', async () => {
    const clock = new FakeClock(0);
    const waits = new SlotWaits();
    const counting = waits.counting(new KeyedLimiter(() => 1));
    const told: SlotWait[][] = [];
    const look = () => ({ limit: 1, pausedUntil: 7_000 });
    const stop = watchSlotWaits(waits, clock, look, (w) => told.push(w));
    await clock.advance(3_000);
    // Nothing waited: nothing told.
    expect(told).toEqual([]);
    const release = await counting.acquire('http:a');
    const held = counting.acquire('http:a');
    await clock.advance(1_000);
    expect(told).toEqual([[{ kind: 'origin', name: 'a', calls: 1, limit: 1, pausedMs: 3_000 }]]);
    // Still the same wait, its pause shorter: no word.
    await clock.advance(1_000);
    await clock.advance(1_000);
    expect(told).toHaveLength(1);
    // The pause is over: that is news.
    await clock.advance(1_000);
    expect(told.at(-1)).toEqual([{ kind: 'origin', name: 'a', calls: 1, limit: 1 }]);
    release();
    (await held)();
    await clock.advance(1_000);
    expect(told.at(-1)).toEqual([]);
    const count = told.length;
    stop();
    // Already said that none wait: not again.
    expect(told).toHaveLength(count);
  });

  it('says that none wait when it stops while some did', async () => {
    const clock = new FakeClock(0);
    const waits = new SlotWaits();
    const counting = waits.counting(new KeyedLimiter(() => 1));
    const told: SlotWait[][] = [];
    const stop = watchSlotWaits(waits, clock, undefined, (w) => told.push(w));
    await counting.acquire('http:a');
    void counting.acquire('http:a');
    await clock.advance(1_000);
    expect(told).toEqual([[{ kind: 'origin', name: 'a', calls: 1 }]]);
    stop();
    expect(told).toEqual([[{ kind: 'origin', name: 'a', calls: 1 }], []]);
    await clock.advance(5_000);
    expect(told).toHaveLength(2);
  });
});
