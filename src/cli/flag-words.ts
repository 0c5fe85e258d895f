// The server's messages name the API's fields (`retryErrors`, `data`, `dataset_id`,
// `row_indices`): right for an API caller, but a CLI user gives them as flags. These phrases of
// the messages `assay` can receive are said with the flags instead; the API's messages stay as
// they are. Exact phrases only: a message not listed here is shown as the server wrote it.

/** [the API's phrase, the CLI's words]; `$n` are the phrase's groups. */
const PHRASES: [RegExp, string][] = [
  // POST …/resume of a completed run (app/runs/service.ts).
  [/\(completed ones with retryErrors\)/, '(completed ones with --retry-errors)'],
  // A run that failed for its first target calls (core/engine/run-ending.ts).
  [/then resume the run with retryErrors to run them again/, 'then resume the run with `assay resume RUN_ID --retry-errors` to run them again'],
  // A run start with no rows (app/runs/run-spec.ts).
  [/; send data, dataset_id or parameters$/, '; give rows with --data FILE, a saved dataset with --dataset SLUG, or --param NAME=VALUE (one row of parameters)'],
  [/There are no rows to run: dataset "/, 'There are no rows to run: --dataset "'],
  [/There are no rows to run: data is an empty list; send at least one row, or leave data out to run the experiment's dataset/, "There are no rows to run: --data holds no row; give at least one, or leave --data out to run the experiment's dataset"],
  [/row_indices is empty: /, '--rows is empty: '],
  [/row_indices selects none of /, '--rows selects none of '],
  // `assay compare RUN` of a first run (app/runs/compare.ts): the baseline is an argument here.
  [/ to compare with; pass \?baseline=RUN_ID$/, ' to compare with; name the baseline: `assay compare RUN_ID BASELINE_RUN_ID`'],
];

/** `message` with the API's field names said as the CLI's flags, where it is one of the known phrases. */
export function cliWords(message: string): string {
  let words = message;
  for (const [phrase, flags] of PHRASES) words = words.replace(phrase, flags);
  return words;
}

/** cliWords for a run's own message, with its id in the command it names. */
export function runMessageWords(message: string, runId: string): string {
  return cliWords(message).replace('assay resume RUN_ID', `assay resume ${runId}`);
}

/** The fields of a run start's body (POST …/run, …/estimate) that `assay run` sets from a flag. */
const RUN_FLAGS: Record<string, string> = {
  data: '--data',
  dataset_id: '--dataset',
  row_indices: '--rows',
  parameters: '--param',
  repeats: '--repeats',
  concurrency: '--concurrency',
  maxErrors: '--max-errors',
  metadata: '--metadata',
  baselineRunId: '--baseline',
};

/** The issue lines of a refused run start (`  - row_indices: …`) with the flag that set the field (`  - --rows: …`). */
export function runIssueWords(text: string): string {
  return text.replace(/^ {2}- ([A-Za-z_]+)(?=[.:])/gm, (line, field: string) => (RUN_FLAGS[field] === undefined ? line : `  - ${RUN_FLAGS[field]}`));
}
