// The run page's state, outside React: loads the run (poll body, then every results page) and
// follows it live over SSE (src/client's events(): fetch streaming, so the key goes in a header
// and Last-Event-ID resumes after a drop). React reads it through useRunState, as the AI SDK's
// useChat reads its chat store; what is derived from it is in run-derived.ts, what a person
// does to the run in run-actions.ts, reconnecting to the stream in run-follow.ts, the
// backing-off line in backoff-line.ts, the inputs of rows that came by event in row-inputs.ts,
// finding the run's experiment in run-owner.ts, and names from its document in run-names.ts.
import { nextResultsOffset } from '../../../src/client/index.js';
import type { ResultsPage, StreamEvent } from '../api-types.js';
import { api, ApiError, describeError } from '../api.js';
import { createStore, type Store, useStore } from '../lib/store.js';
import { BackoffLine } from './backoff-line.js';
import { WaitsLine } from './waits-line.js';
import { CompareStore } from './compare-store.js';
import { ReviewStore } from './review-store.js';
import { ABORT_REQUESTED, afterAbort, RunActions } from './run-actions.js';
import { followEvents } from './run-follow.js';
import { RetryLater } from './retry-later.js';
import { RunModel } from './run-model.js';
import { nameFrom } from './run-names.js';
import { OwnerLookup } from './run-owner.js';
import { RowInputs } from './row-inputs.js';
import { type CellRef, figuresOf, INITIAL_STATE, RESUMED, type RunPageState, runningClockOf } from './run-state.js';
import type { ViewOptions } from './run-view.js';

/** Cells per results request (the server's maximum). */
const PAGE = 5000;
/** Longest wait between a change and its render while a run streams. */
const RENDER_EVERY_MS = 100;

export class RunStore {
  readonly model = new RunModel();
  readonly state: Store<RunPageState>;
  /** Compare mode: the baseline and what changed against it. */
  readonly compare: CompareStore;
  /** People's reviews; a save re-reads the summary (its reviewed figures). */
  readonly reviews: ReviewStore;
  /** Abort, resume, re-run, export, copy as curl. */
  readonly actions: RunActions;
  private readonly stop = new AbortController();
  private lastSeq = 0;
  /** Cells received from results pages (the next page's offset, roughly). */
  private fetched = 0;
  private renderTimer: ReturnType<typeof setTimeout> | undefined;
  /** The header's line about calls backing off, counting their wait down. */
  private readonly backoffLine = new BackoffLine(
    () => this.state.get().backoff,
    (backoff) => this.patch({ backoff }),
  );
  /** The header's line about calls waiting for a slot (a provider's cap, a model's limit). */
  private readonly waitsLine = new WaitsLine(
    () => this.state.get().slotWaits,
    (slotWaits) => this.patch({ slotWaits }),
  );
  private streaming = false;
  /** A load is in flight (start()): Retry while one is waits for it. */
  private loading = false;
  /** Tries a failed load again by itself, with backoff. */
  private readonly retryLater = new RetryLater(() => this.retry());
  /** Finds the run's experiment once the first results page has named its id; made again on Retry when it failed. */
  private readonly ownerLookup: OwnerLookup;
  /** Figures from events, shown with the next render so the header and the grid agree. */
  private pending: Partial<RunPageState> = {};
  /** Fills in the inputs of rows that arrived as events. */
  private readonly rowInputs: RowInputs;

  /** `urlSlug`: the experiment the address names, a guess checked against the run's own. */
  constructor(
    readonly runId: string,
    readonly urlSlug: string,
  ) {
    this.state = createStore<RunPageState>(INITIAL_STATE);
    this.compare = new CompareStore(runId, () => this.state.get().experiment?.slug);
    this.reviews = new ReviewStore(runId, () => this.refreshSummary());
    this.actions = new RunActions({
      runId,
      experiment: () => this.state.get().experiment,
      request: () => this.state.get().request,
      say: (notice) => this.say(notice),
      resumed: (notice) => {
        this.patch({ ...RESUMED, notice });
        void this.follow();
      },
    });
    // Settles `owner` and `experiment` from the run's experimentId; the page corrects its address from them.
    this.ownerLookup = new OwnerLookup(urlSlug, (owner) => {
      if (owner.kind === 'missing') {
        this.patch({ owner: 'missing' });
        return;
      }
      const { slug, name } = owner.experiment;
      this.patch({ owner: 'found', experiment: { slug, name } });
      // Compare mode switched on before the owner was known has no baseline candidates yet.
      if (this.compare.state.get().on) this.compare.loadCandidates();
    });
    this.rowInputs = new RowInputs({
      runId,
      model: this.model,
      state: () => this.state.get(),
      loadResults: (offset) => this.loadResults(offset),
      fetched: () => this.fetched,
      streaming: () => this.streaming,
      changed: () => this.scheduleRender(),
    });
  }

  /** Re-reads the poll body's summary (after a review: its reviewed figures). */
  async refreshSummary(): Promise<void> {
    try {
      const run = await api().run(this.runId);
      if (run.summary) this.patch({ summary: run.summary });
    } catch {
      // the figures shown stay
    }
  }

  private patch(p: Partial<RunPageState>): void {
    // The summary names every evaluator of the run: the model takes the names it did not have
    // yet (a live run's evaluators known only from events), so the page names them one way.
    if (p.summary && this.model.nameEvaluators(p.summary.evaluators.map((e) => ({ id: e.evaluatorId, name: e.name })))) {
      p = Object.assign({}, p, { version: this.model.version });
    }
    // "Abort requested" holds only while the run runs: once it has stopped (the `stopped` event,
    // the poll body after the stream, or already when the abort's answer came) it says so.
    const now = this.state.get();
    const status = p.status ?? now.status;
    if (status && status !== 'running' && ('notice' in p ? p.notice : now.notice) === ABORT_REQUESTED) p = { ...p, notice: afterAbort(status) };
    this.state.set((s) => ({ ...s, ...p }));
  }

  /** Renders model changes at most every RENDER_EVERY_MS (a fast run sends thousands of events a second). */
  private scheduleRender(): void {
    if (this.renderTimer) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      const pending = this.pending;
      this.pending = {};
      this.patch({ ...pending, version: this.model.version });
    }, RENDER_EVERY_MS);
  }

  async start(): Promise<void> {
    if (this.loading) return;
    this.loading = true;
    try {
      const client = api();
      this.ownerLookup.guessFrom(client);
      const run = await client.run(this.runId).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      });
      // No such run here (a mistyped or another project's id): an answer, not a failed load.
      if (run === null) {
        this.retryLater.reset();
        this.patch({ phase: 'missing', loadError: undefined, loadRetry: undefined });
        return;
      }
      void this.reviews.load();
      this.patch({ ...figuresOf(run), startedAt: run.startedAt });
      if (run.status === 'running') void this.follow();
      await this.loadResults(0);
      const owner = await this.ownerLookup.outcome();
      // Not knowing the owner is not the same as its having none: the load failed, and Retry
      // looks again (the page would otherwise say the experiment does not exist).
      if (owner?.kind === 'failed') throw new Error(`its experiment could not be looked up: ${describeError(owner.error)}`);
      if (owner?.kind === 'found') nameFrom(this.model, owner.experiment, this.state.get().request?.evaluators, () => this.patch({ version: this.model.version }));
      performance.mark('assay:data-loaded');
      this.retryLater.reset();
      this.patch({ phase: 'ready', version: this.model.version, dataLoadedAt: performance.now(), loadRetry: undefined });
    } catch (error) {
      if (this.stop.signal.aborted) return;
      this.patch({ phase: 'error', loadError: describeError(error), loadRetry: this.retryLater.schedule(error) });
    } finally {
      this.loading = false;
    }
  }

  /**
   * Loads again after a failed load (a network error, a 5xx), without reloading the page:
   * what had arrived stays, and results merge into the model idempotently. Made by itself
   * too (retry-later.ts), while the error and its Retry button stay in view.
   */
  retry(byHand = false): void {
    if (this.state.get().phase !== 'error' || this.stop.signal.aborted) return;
    this.retryLater.cancel();
    // By hand the page says it is loading; by itself it keeps the error (and Retry) in view
    // until the attempt succeeds, so the page does not flicker every few seconds.
    this.patch(byHand ? { phase: 'loading', loadError: undefined, loadRetry: undefined } : { loadRetry: undefined });
    // An attempt in flight settles it.
    if (this.loading) return;
    this.ownerLookup.forgetFailure();
    void this.start();
  }

  dispose(): void {
    this.stop.abort();
    this.retryLater.cancel();
    clearTimeout(this.renderTimer);
    this.rowInputs.dispose();
    this.backoffLine.dispose();
    this.waitsLine.dispose();
  }

  /** Reads results pages from `offset` to the end and merges them. */
  private async loadResults(offset: number): Promise<void> {
    for (let at: number | null = offset; at !== null && !this.stop.signal.aborted; ) {
      const page: ResultsPage = await api().results(this.runId, at, PAGE);
      this.ownerLookup.lookUp(page.experimentId);
      this.model.setTargets(page.targets);
      this.model.mergeResults(page.dataset, page.evaluations);
      this.fetched = Math.max(this.fetched, at + page.dataset.length);
      this.scheduleRender();
      // A page of large outputs ends before PAGE cells: follow the server's nextOffset.
      at = nextResultsOffset(page, at, PAGE);
    }
  }

  /**
   * Follows the run's events until its final event (run-follow.ts: the client resumes a dropped
   * stream after the last event seen, and an unreachable server is tried again with backoff),
   * then settles the final figures.
   */
  private async follow(): Promise<void> {
    if (this.streaming) return;
    this.streaming = true;
    this.patch({ live: true });
    try {
      await followEvents(this.runId, {
        signal: this.stop.signal,
        afterSeq: () => this.lastSeq,
        onEvent: (e) => this.onEvent(e),
        lost: (attempt) => this.patch({ lost: { attempt, since: this.state.get().lost?.since ?? Date.now() } }),
        back: () => this.patch({ lost: undefined }),
        stopped: (notice) => this.patch({ lost: undefined, notice }),
      });
    } finally {
      this.streaming = false;
      // No stream, no news of the waits: say nothing rather than something stale.
      this.backoffLine.clear();
      this.waitsLine.clear();
      if (!this.stop.signal.aborted) {
        this.patch({ live: false, lost: undefined });
        await this.settle();
      }
    }
  }

  private onEvent(e: StreamEvent): void {
    // Live-only events (cell_started, retrying as they happen) carry no seq.
    if ('seq' in e) this.lastSeq = e.seq;
    switch (e.type) {
      case 'execution_started':
        this.patch({ total: e.total });
        break;
      case 'progress':
        this.pending = { ...this.pending, completed: e.completed, total: e.total };
        this.scheduleRender();
        break;
      case 'stopped':
        this.patch({ status: 'stopped' });
        break;
      case 'done':
        this.patch({ summary: e.summary });
        break;
      case 'error':
        if (e.rowIndex === undefined) this.patch({ status: 'failed', runError: e.message });
        break;
      case 'resumed':
        this.patch(RESUMED);
        void this.readRunningClock();
        break;
      case 'retrying':
        this.backoffLine.retrying(e);
        break;
      case 'target_result':
        this.backoffLine.settled(e);
        break;
      case 'waiting':
        this.waitsLine.waiting(e);
        break;
      default:
        break;
    }
    if (this.model.applyEvent(e)) {
      this.rowInputs.schedule();
      this.scheduleRender();
    }
  }

  /**
   * A resume began a new execution: its clock (when it began, how long the earlier ones ran) is
   * the poll body's, not in the event. A replayed `resumed` reads the current one, as a live one.
   */
  private async readRunningClock(): Promise<void> {
    try {
      const run = await api().run(this.runId);
      if (run.status === 'running') this.patch({ runningClock: runningClockOf(run) });
    } catch {
      // the header shows the duration alone until the run ends
    }
  }

  /** After the stream ends: the final status and summary, and any inputs still missing. */
  private async settle(): Promise<void> {
    try {
      const run = await api().run(this.runId);
      this.patch(figuresOf(run));
      if (this.model.missingEntries() > 0) await this.loadResults(0);
      this.patch({ version: this.model.version });
    } catch {
      // the figures already shown stay; a reload fetches them again
    }
  }

  // ---- view -------------------------------------------------------------------------------

  setView(p: Partial<ViewOptions>): void {
    this.state.set((s) => ({ ...s, view: { ...s.view, ...p } }));
  }

  setColumnVisibility(next: Record<string, boolean>): void {
    this.patch({ columnVisibility: next });
  }

  openCell(ref: CellRef | null): void {
    this.patch({ drawer: ref });
  }

  say(notice: string): void {
    this.patch({ notice });
  }
}

export const useRunState = <S>(store: RunStore, select: (s: RunPageState) => S): S => useStore(store.state, select);

