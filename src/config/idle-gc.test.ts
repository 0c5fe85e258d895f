// The collector after runs: once per idle spell, only after the delay passed without a run, and
// the full collection it gets from V8 really frees memory.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../testing/fake-clock.js';
import { IDLE_GC_DELAY_MS, idleCollector, majorGc } from './idle-gc.js';

describe('idleCollector', () => {
  it('collects once, a delay after the process became idle, and not while it is busy again', async () => {
    const clock = new FakeClock();
    let idle = true;
    let collections = 0;
    const onIdle = idleCollector(clock, () => idle, () => collections++);
    onIdle();
    onIdle();
    await clock.advance(IDLE_GC_DELAY_MS - 1);
    expect(collections).toBe(0);
    await clock.advance(1);
    expect(collections).toBe(1);
    // Idle again, but a run starts before the delay is up: no collection under load.
    onIdle();
    idle = false;
    await clock.advance(IDLE_GC_DELAY_MS);
    expect(collections).toBe(1);
  });

  it('waits the whole delay after the last of runs started one after another', async () => {
    const clock = new FakeClock();
    let idle = true;
    let collections = 0;
    const onIdle = idleCollector(clock, () => idle, () => collections++);
    // Runs of a second each, started half a second after the one before ended.
    onIdle();
    for (let i = 0; i < 6; i++) {
      await clock.advance(500);
      idle = false;
      await clock.advance(1_000);
      idle = true;
      onIdle();
    }
    expect(collections).toBe(0);
    await clock.advance(IDLE_GC_DELAY_MS - 1);
    expect(collections).toBe(0);
    await clock.advance(1);
    expect(collections).toBe(1);
  });

  it('gets a working full collection from V8', async () => {
    const gc = majorGc();
    expect(gc).not.toBeNull();
    const held = new WeakRef({ payload: new Array(1_000).fill('x') });
    // A WeakRef keeps its target until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
    expect(held.deref()).toBeUndefined();
  });

  it('leaves no gc global in contexts made afterwards (user code in the sandbox must not get one)', async () => {
    expect(majorGc()).not.toBeNull();
    const { runInNewContext } = await import('node:vm');
    expect(runInNewContext('typeof gc')).toBe('undefined');
  });
});
