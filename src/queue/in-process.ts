// The embedded work queue: runs execute in this process. The durable record of pending work
// is the run row itself (status running, no live lease), which the run host's recovery sweep
// picks up after a restart; nothing lives only in this process's memory.
import type { WorkQueue } from '../core/ports.js';

export class InProcessQueue implements WorkQueue {
  private handler: ((runId: string) => Promise<void>) | null = null;
  private readonly backlog: string[] = [];
  private readonly active = new Set<Promise<void>>();
  private closed = false;

  async enqueue(runId: string): Promise<void> {
    if (this.closed) return;
    if (!this.handler) {
      this.backlog.push(runId);
      return;
    }
    this.dispatch(runId);
  }

  /** Runs enqueued before the host started taking work (for /metrics: in embedded mode a run executes as soon as it is enqueued). */
  get pending(): number {
    return this.backlog.length;
  }

  start(handler: (runId: string) => Promise<void>): void {
    this.handler = handler;
    for (const id of this.backlog.splice(0)) this.dispatch(id);
  }

  private dispatch(runId: string): void {
    const p = Promise.resolve()
      .then(() => this.handler!(runId))
      .catch(() => {})
      .finally(() => this.active.delete(p));
    this.active.add(p);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.active);
  }
}
