// Which experiment a run belongs to. The URL's slug is only a guess: a link can pair any run
// id with any slug, and acting on that pairing would re-run, compare against or name the wrong
// experiment. The run's results page carries its experimentId; the experiment is the one
// whose id matches, found among the project's experiments when the URL names another.
import type { ExperimentBody } from '../api-types.js';
import { type Api, api } from '../api.js';

/** The answer for a run id: its experiment, or the fact that it could not be found. */
export type RunOwner = { kind: 'found'; experiment: ExperimentBody } | { kind: 'missing' };

/**
 * The experiment with id `experimentId`. `guess` is the experiment the URL names (fetched
 * meanwhile, so the usual case costs no extra request); null when that slug does not exist.
 */
export async function findOwner(experimentId: string, guess: Promise<ExperimentBody | null>): Promise<RunOwner> {
  const named = await guess;
  if (named?.id === experimentId) return { kind: 'found', experiment: named };
  const client = api();
  for (let page = 1; ; page++) {
    const list = await client.experiments(page);
    const hit = list.experiments.find((e) => e.id === experimentId);
    if (hit) return { kind: 'found', experiment: await client.experiment(hit.slug) };
    // An archived experiment is not listed; its runs can still be read, but not acted on from here.
    if (!list.pagination.hasMore) return { kind: 'missing' };
  }
}

/** A lookup's outcome: also `failed` when it could not be made (no connection, a 5xx), which is not an answer. */
export type OwnerOutcome = RunOwner | { kind: 'failed'; error: unknown };

/**
 * The run page's lookup of its run's owner: made once, when the first results page names the
 * experiment's id, with the experiment the URL names fetched meanwhile as the guess. A lookup
 * that failed is dropped on Retry (`forgetFailure`), so the page does not keep a passing failure.
 */
export class OwnerLookup {
  /** The experiment the URL names, fetched again by each load; null when that slug does not exist. */
  private guess: Promise<ExperimentBody | null> | undefined;
  private lookup: Promise<OwnerOutcome> | undefined;
  /** The lookup above failed. */
  private failed = false;

  /** `found`: told the answer (found or missing) when the lookup gets one. */
  constructor(
    private readonly urlSlug: string,
    private readonly found: (owner: RunOwner) => void,
  ) {}

  /** Fetches the URL's experiment, the guess checked against the run's own (each load does). */
  guessFrom(client: Api): void {
    this.guess = client.experiment(this.urlSlug).catch(() => null);
  }

  /** Looks up the experiment with id `experimentId`, unless a lookup is made already. */
  lookUp(experimentId: string): void {
    this.lookup ??= this.resolve(experimentId);
  }

  /** The lookup's outcome; undefined while no results page has named the experiment. */
  outcome(): Promise<OwnerOutcome> | undefined {
    return this.lookup;
  }

  /** Drops a failed lookup, so the next results page looks again. */
  forgetFailure(): void {
    if (!this.failed) return;
    this.lookup = undefined;
    this.failed = false;
  }

  /** A lookup that fails leaves the owner unsettled ('checking'): the store's load reports it. */
  private async resolve(experimentId: string): Promise<OwnerOutcome> {
    try {
      const owner = await findOwner(experimentId, this.guess ?? Promise.resolve(null));
      this.found(owner);
      return owner;
    } catch (error) {
      this.failed = true;
      return { kind: 'failed', error };
    }
  }
}
