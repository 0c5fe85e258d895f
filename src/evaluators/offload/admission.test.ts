import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';

/** A task that finishes when `finish` is called, recording when it started. */
function gated(name: string, started: string[]) {
  let finish!: (value: string) => void;
  const done = new Promise<string>((resolve) => (finish = resolve));
  return {
    task: () => {
      started.push(name);
      return done;
    },
    finish: () => finish(name),
  };
}

describe('Admission', () => {
  it('runs at most `limit` tasks at a time, the others in order as slots free up', async () => {
    const line = new Admission(2);
    const started: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => gated(name, started));
    const signal = new AbortController().signal;
    const results = [a, b, c, d].map((g) => line.run(g!.task, signal));
    expect(started).toEqual(['a', 'b']);
    b!.finish();
    await results[1];
    expect(started).toEqual(['a', 'b', 'c']);
    a!.finish();
    c!.finish();
    d!.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('rejects a waiting task as soon as its signal aborts, and never starts it', async () => {
    const line = new Admission(1);
    const started: string[] = [];
    const first = gated('first', started);
    const waiting = gated('waiting', started);
    const last = gated('last', started);
    const controller = new AbortController();
    const running = line.run(first.task, new AbortController().signal);
    const aborted = line.run(waiting.task, controller.signal);
    const after = line.run(last.task, new AbortController().signal);
    controller.abort(new Error('deadline'));
    await expect(aborted).rejects.toThrow('deadline');
    first.finish();
    await running;
    last.finish();
    expect(await after).toBe('last');
    expect(started).toEqual(['first', 'last']);
  });

  it('refuses a task whose signal has already aborted, and frees the slot of a task that fails', async () => {
    const line = new Admission(1);
    expect(() => line.run(() => Promise.resolve(1), AbortSignal.abort(new Error('late')))).toThrow('late');
    await expect(line.run(() => Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow('boom');
    expect(await line.run(() => Promise.resolve('next'), new AbortController().signal)).toBe('next');
  });
});
