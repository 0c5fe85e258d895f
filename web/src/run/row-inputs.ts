// The inputs of rows that arrived as events: a live run's events name a row by its index only,
// so its inputs are read from the run's row source (row-entries.ts), and the newest results
// page is fetched now and then (which also brings the rows that source cannot). Kept apart from
// RunStore, which decides when to ask (an event added a row without inputs) and renders.
import { api } from '../api.js';
import { rowReader } from './row-entries.js';
import type { RunModel } from './run-model.js';
import type { RunPageState } from './run-state.js';

/** How often rows that arrived by event but lack their inputs are looked up. */
const ENTRY_REFRESH_MS = 500;

/** What filling in inputs needs from the run's store (an interface, so this module never imports it). */
export interface RowInputsHost {
  readonly runId: string;
  readonly model: RunModel;
  /** The page's state: the run's request, and its own experiment once known. */
  state(): RunPageState;
  /** Reads results pages from `offset` to the end and merges them into the model. */
  loadResults(offset: number): Promise<void>;
  /** Cells received from results pages (the next page's offset, roughly). */
  fetched(): number;
  /** The event stream is being followed: keep looking while rows still lack inputs. */
  streaming(): boolean;
  /** The model changed: render it. */
  changed(): void;
}

export class RowInputs {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Reads rows from the run's row source (row-entries.ts); null when it cannot, undefined until known. */
  private rows: ReturnType<typeof rowReader> | undefined;
  /** Row indexes read from the row source or being read: each is asked for once (again after a failure). */
  private readonly asked = new Set<number>();

  constructor(private readonly host: RowInputsHost) {}

  /**
   * Rows that arrived as events have no inputs yet: read them from the run's row source, and
   * fetch the newest results page now and then (which also brings the rows that source cannot).
   */
  schedule(): void {
    if (this.timer || this.host.model.missingEntries() === 0) return;
    this.timer = setTimeout(() => {
      // Cells commit nearly in row order, so the newest ones are near the end of the paged
      // results; back off a little for cells committed out of order.
      void Promise.all([this.host.loadResults(Math.max(0, this.host.fetched() - 200)).catch(() => undefined), this.readRows()])
        .finally(() => {
          this.timer = undefined;
          if (this.host.streaming()) this.schedule();
        });
    }, ENTRY_REFRESH_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  /** Reads the inputs of rows that have none from the run's row source, once per row. */
  private async readRows(): Promise<void> {
    const { model } = this.host;
    const { request, experiment, owner } = this.host.state();
    // The source names the experiment: wait until the run's own is known.
    if (!request || owner === 'checking') return;
    this.rows ??= rowReader(request, experiment?.slug, api(), this.host.runId);
    const wanted = model.rowsWithoutEntry().filter((i) => !this.asked.has(i));
    if (!this.rows || wanted.length === 0) return;
    for (const i of wanted) this.asked.add(i);
    try {
      if (model.fillEntries(await this.rows(wanted))) this.host.changed();
    } catch {
      // Asked again next time; the results pages bring the inputs in the end anyway.
      for (const i of wanted) this.asked.delete(i);
    }
  }
}
