// The run page's state, outside React: loads the run (poll body, then every results page) and
// follows it live over SSE (src/client's events(): fetch streaming, so the key goes in a header
// and Last-Event-ID resumes after a drop). React reads it through useRunState, as the AI SDK's
// useChat reads its chat store; what is derived from it is in run-derived.ts, what a person
// does to the run in run-actions.ts, and reconnecting to the stream in run-follow.ts.
import { Backoffs, backoffText } from '../../../src/client/backoffs.js';
import { nextResultsOffset } from '../../../src/client/index.js';
import type { ExperimentBody, ResultsPage, StreamEvent } from '../api-types.js';
import { api, describeError } from '../api.js';
import { createStore, type Store, useStore } from '../lib/store.js';
import { CompareStore } from './compare-store.js';
import { ReviewStore } from './review-store.js';
import { RunActions } from './run-actions.js';
import { followEvents } from './run-follow.js';
import { RetryLater } from './retry-later.js';
import { RunModel } from './run-model.js';
import { findOwner, type RunOwner } from './run-owner.js';
import { rowReader } from './row-entries.js';
import { type CellRef, figuresOf, INITIAL_STATE, RESUMED, type RunPageState } from './run-state.js';
import type { ViewOptions } from './run-view.js';

/** Cells per results request (the server's maximum). */
const PAGE = 5000;
/** Longest wait between a change and its render while a run streams. */
const RENDER_EVERY_MS = 100;
/** How often rows that arrived by event but lack their inputs are looked up. */
const ENTRY_REFRESH_MS = 500;
/** How often the backing-off line counts down while calls wait. */
const BACKOFF_TICK_MS = 1000;
/** Characters of a retry's reason shown (it quotes a provider's answer). */
const BACKOFF_REASON_CHARS = 120;

/** An owner lookup's outcome: also `failed` when it could not be made (no connection, a 5xx), which is not an answer. */
type OwnerLookup = RunOwner | { kind: 'failed'; error: unknown };

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
  private entryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Calls backing off (the `retrying` events), and the timer that counts their wait down. */
  private readonly backoffs = new Backoffs();
  private backoffTimer: ReturnType<typeof setInterval> | undefined;
  private streaming = false;
  /** A load is in flight (start()): Retry while one is waits for it. */
  private loading = false;
  /** Tries a failed load again by itself, with backoff. */
  private readonly retryLater = new RetryLater(() => this.retry());
  /** Finds the run's experiment once the first results page has named its id; made again on Retry when it failed. */
  private ownerLookup: Promise<OwnerLookup> | undefined;
  /** The lookup above failed (it is dropped on Retry, so the page does not keep a passing failure). */
  private ownerFailed = false;
  private urlExperiment: Promise<ExperimentBody | null> | undefined;
  /** Figures from events, shown with the next render so the header and the grid agree. */
  private pending: Partial<RunPageState> = {};
  /** Reads rows from the run's row source (row-entries.ts); null when it cannot, undefined until known. */
  private rows: ReturnType<typeof rowReader> | undefined;
  /** Row indexes read from the row source or being read: each is asked for once (again after a failure). */
  private readonly rowsAsked = new Set<number>();

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
      this.urlExperiment = client.experiment(this.urlSlug).catch(() => null);
      const run = await client.run(this.runId);
      void this.reviews.load();
      this.patch({ ...figuresOf(run), startedAt: run.startedAt });
      if (run.status === 'running') void this.follow();
      await this.loadResults(0);
      const owner = await this.ownerLookup;
      // Not knowing the owner is not the same as its having none: the load failed, and Retry
      // looks again (the page would otherwise say the experiment does not exist).
      if (owner?.kind === 'failed') throw new Error(`its experiment could not be looked up: ${describeError(owner.error)}`);
      if (owner?.kind === 'found') this.nameFrom(owner.experiment);
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
    if (this.ownerFailed) {
      this.ownerLookup = undefined;
      this.ownerFailed = false;
    }
    void this.start();
  }

  dispose(): void {
    this.stop.abort();
    this.retryLater.cancel();
    clearTimeout(this.renderTimer);
    clearTimeout(this.entryTimer);
    clearInterval(this.backoffTimer);
  }

  /** Words the waits running now into the header's line; stops counting down when none is left. */
  private showBackoff(): void {
    const state = this.backoffs.current();
    const reason = state && (state.reason.length > BACKOFF_REASON_CHARS ? `${state.reason.slice(0, BACKOFF_REASON_CHARS - 1)}…` : state.reason);
    const text = state ? backoffText(state, reason!) : undefined;
    if (text !== this.state.get().backoff) this.patch({ backoff: text });
    if (state && !this.backoffTimer) this.backoffTimer = setInterval(() => this.showBackoff(), BACKOFF_TICK_MS);
    if (!state && this.backoffTimer) {
      clearInterval(this.backoffTimer);
      this.backoffTimer = undefined;
    }
  }

  /**
   * Names from the experiment's document. An evaluator without a name there is called by its
   * type's catalogue name, as results name it; the catalogue is asked only then, and a live
   * run's header says its evaluators' names before any result has come.
   */
  private nameFrom(experiment: ExperimentBody): void {
    // The run's evaluators, in its order (the document may have changed since it started).
    const ran = this.state.get().request?.evaluators;
    const all = experiment.document.evaluators ?? [];
    const evaluators = ran ? ran.map((id) => all.find((e) => e.id === id)).filter((e) => e !== undefined) : all;
    this.model.setNames(experiment.document.targets, evaluators);
    const unnamed = evaluators.filter((e) => !e.name && this.model.evaluatorName(e.id) === e.id);
    if (unnamed.length === 0) return;
    void api()
      .evaluatorCatalogue()
      .then(({ evaluators: catalogue }) => {
        const names = new Map<string, string>();
        for (const c of catalogue) for (const type of [c.id, ...c.aliases]) names.set(type, c.name);
        this.model.setNames([], unnamed.map((e) => ({ id: e.id, name: names.get(e.type) })));
        this.patch({ version: this.model.version });
      })
      // The ids stay until the results name them.
      .catch(() => undefined);
  }

  /** Reads results pages from `offset` to the end and merges them. */
  private async loadResults(offset: number): Promise<void> {
    for (let at: number | null = offset; at !== null && !this.stop.signal.aborted; ) {
      const page: ResultsPage = await api().results(this.runId, at, PAGE);
      this.ownerLookup ??= this.resolveOwner(page.experimentId);
      this.model.setTargets(page.targets);
      this.model.mergeResults(page.dataset, page.evaluations);
      this.fetched = Math.max(this.fetched, at + page.dataset.length);
      this.scheduleRender();
      // A page of large outputs ends before PAGE cells: follow the server's nextOffset.
      at = nextResultsOffset(page, at, PAGE);
    }
  }

  /**
   * Settles `owner` and `experiment` from the run's experimentId; the page corrects its address
   * from them. A lookup that fails leaves the owner unsettled ('checking'): start() reports it.
   */
  private async resolveOwner(experimentId: string): Promise<OwnerLookup> {
    try {
      const owner = await findOwner(experimentId, this.urlExperiment ?? Promise.resolve(null));
      if (owner.kind === 'missing') {
        this.patch({ owner: 'missing' });
        return owner;
      }
      const { slug, name } = owner.experiment;
      this.patch({ owner: 'found', experiment: { slug, name } });
      // Compare mode switched on before the owner was known has no baseline candidates yet.
      if (this.compare.state.get().on) this.compare.loadCandidates();
      return owner;
    } catch (error) {
      this.ownerFailed = true;
      return { kind: 'failed', error };
    }
  }

  /**
   * Rows that arrived as events have no inputs yet: read them from the run's row source, and
   * fetch the newest results page now and then (which also brings the rows that source cannot).
   */
  private scheduleEntryRefresh(): void {
    if (this.entryTimer || this.model.missingEntries() === 0) return;
    this.entryTimer = setTimeout(() => {
      // Cells commit nearly in row order, so the newest ones are near the end of the paged
      // results; back off a little for cells committed out of order.
      void Promise.all([this.loadResults(Math.max(0, this.fetched - 200)).catch(() => undefined), this.readRows()])
        .finally(() => {
          this.entryTimer = undefined;
          if (this.streaming) this.scheduleEntryRefresh();
        });
    }, ENTRY_REFRESH_MS);
  }

  /** Reads the inputs of rows that have none from the run's row source, once per row. */
  private async readRows(): Promise<void> {
    const { request, experiment, owner } = this.state.get();
    // The source names the experiment: wait until the run's own is known.
    if (!request || owner === 'checking') return;
    this.rows ??= rowReader(request, experiment?.slug, api(), this.runId);
    const wanted = this.model.rowsWithoutEntry().filter((i) => !this.rowsAsked.has(i));
    if (!this.rows || wanted.length === 0) return;
    for (const i of wanted) this.rowsAsked.add(i);
    try {
      if (this.model.fillEntries(await this.rows(wanted))) this.scheduleRender();
    } catch {
      // Asked again next time; the results pages bring the inputs in the end anyway.
      for (const i of wanted) this.rowsAsked.delete(i);
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
      this.backoffs.clear();
      this.showBackoff();
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
        break;
      case 'retrying':
        this.backoffs.retrying(e);
        this.showBackoff();
        break;
      case 'target_result':
        this.backoffs.settled(e);
        if (this.state.get().backoff !== undefined) this.showBackoff();
        break;
      default:
        break;
    }
    if (this.model.applyEvent(e)) {
      this.scheduleEntryRefresh();
      this.scheduleRender();
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

