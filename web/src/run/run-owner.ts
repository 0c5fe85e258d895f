// Which experiment a run belongs to. The URL's slug is only a guess: a link can pair any run
// id with any slug, and acting on that pairing would re-run, compare against or name the wrong
// experiment. The run's results page carries its experimentId; the experiment is the one
// whose id matches, found among the project's experiments when the URL names another.
import type { ExperimentBody } from '../api-types.js';
import { api } from '../api.js';

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
