// The progress of a run whose stream starts with a replay: `liveProgress` folds the replayed
// progress events into one update at the count the run was at (a resumed run's earlier
// executions are all history), and the view measures cells/s from its first update only.
// The real processes are in run-commands.test.ts; these are the cases a live server does not
// give on demand (a replay past the count, a watch after a resume that retried errors).
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../client/index.js';
import { type Backlog, liveProgress, progressView } from './progress.js';

let seq = 0;
const p = (completed: number): StreamEvent => ({ type: 'progress', completed, total: 6, seq: ++seq });
const done: StreamEvent = { type: 'stopped', reason: 'user', seq: 0 };
const resumed: StreamEvent = { type: 'resumed', retryErrors: true, seq: 0 };
const seqOf = (e: StreamEvent): number => ('seq' in e ? e.seq : -1);

async function shown(events: StreamEvent[], backlog: Backlog): Promise<(number | string)[]> {
  async function* stream() {
    yield* events;
  }
  const out: (number | string)[] = [];
  for await (const e of liveProgress(stream(), backlog)) out.push(e.type === 'progress' ? e.completed : e.type);
  return out;
}

describe('liveProgress', () => {
  it('passes the count the run was at, then the live ones; an ended run gets its last count once, at the end', async () => {
    expect(await shown([p(1), p(2), p(3), p(4), p(5)], { running: true, completed: 3, resumed: false })).toEqual([3, 4, 5]);
    // Cells done between the look and the stream's start: the count looked at, then on.
    expect(await shown([p(1), p(2), p(5)], { running: true, completed: 3, resumed: false })).toEqual([3, 5]);
    expect(await shown([p(1), p(2)], { running: true, completed: 0, resumed: false })).toEqual([1, 2]);
    expect(await shown([p(1), p(2), p(3), done], { running: false, completed: 3, resumed: false })).toEqual(['stopped', 3]);
  });

  it("takes a resumed run's earlier executions as history, though their counts pass the one it resumed at", async () => {
    // Completed at 6 with two errors; resumed retrying them: the run is at 4 again.
    const stream = [p(1), p(2), p(3), p(4), p(5), p(6), done, resumed, p(5), p(6)];
    expect(await shown(stream, { running: true, completed: 4, resumed: true })).toEqual(['stopped', 'resumed', 4, 5, 6]);
    // Watched after such a resume: the history past the count passes as live until `resumed` folds the rest (approximate, docs/decisions.md).
    expect(await shown([p(1), p(4), p(5), done, resumed, p(5), p(6)], { running: true, completed: 5, resumed: false })).toEqual([5, 'stopped', 'resumed', 5, 6]);
  });

  it('follows a server that says where its replay ends: the history is one count, the current execution\'s, and live starts after it', async () => {
    const history = (): StreamEvent[] => [p(1), p(4), p(5), { type: 'stopped', reason: 'user', seq: ++seq }, { type: 'resumed', retryErrors: true, seq: ++seq }];
    // Watched after a resume that retried errors, the current execution at 2 (below the history's 5): no history line passes as live.
    const watched = [...history(), p(2)];
    const live: StreamEvent = { type: 'cell_started', rowIndex: 3, targetId: 't', repeat: 0 } as StreamEvent;
    expect(await shown([...watched, live, p(3), p(4)], { running: true, completed: 2, resumed: false, replayTo: seqOf(watched.at(-1)!) })).toEqual(['stopped', 'resumed', 2, 'cell_started', 3, 4]);
    // Nothing committed yet by the current execution: no count until its first.
    const fresh = history();
    expect(await shown([...fresh, p(5)], { running: true, completed: 4, resumed: false, replayTo: seqOf(fresh.at(-1)!) })).toEqual(['stopped', 'resumed', 5]);
    // A live-only event during the replay passes without ending it.
    const early = [p(1), p(2)];
    const rest = [p(3)];
    expect(await shown([...early, live, ...rest, p(4)], { running: true, completed: 3, resumed: false, replayTo: seqOf(rest[0]!) })).toEqual(['cell_started', 3, 4]);
    // An ended run: its last count, then how it ended.
    const ended = [p(1), p(2), p(3), { type: 'stopped', reason: 'user', seq: ++seq } as StreamEvent];
    expect(await shown(ended, { running: false, completed: 3, resumed: false, replayTo: seqOf(ended.at(-1)!) })).toEqual([3, 'stopped']);
  });
});

describe('progressView', () => {
  it('measures cells/s from its first update, which has none', () => {
    let now = 0;
    const lines: string[] = [];
    const view = progressView(100, { isTTY: false } as unknown as NodeJS.WriteStream, (text) => lines.push(text), () => now);
    now = 60_000;
    view.update(40, 3);
    now += 2_000;
    view.update(50, 3);
    now += 2_000;
    view.update(60, 4);
    expect(lines).toEqual(['progress 40/100 (40%), 3 failing\n', 'progress 50/100 (50%), 3 failing, 5.0 cells/s\n', 'progress 60/100 (60%), 4 failing, 5.0 cells/s\n']);
  });

  it('gives no rate for a burst under a second (a stream read back from storage)', () => {
    let now = 0;
    const lines: string[] = [];
    const view = progressView(1000, { isTTY: false } as unknown as NodeJS.WriteStream, (text) => lines.push(text), () => now);
    view.update(0, 0);
    now += 10;
    view.update(100, 0);
    now += 1_990;
    view.update(200, 0);
    expect(lines).toEqual(['progress 0/1000 (0%), 0 failing\n', 'progress 100/1000 (10%), 0 failing\n', 'progress 200/1000 (20%), 0 failing, 100.0 cells/s\n']);
  });
});
