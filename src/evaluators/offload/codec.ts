// How an offloaded evaluation's inputs travel to the worker. Posting a value to a worker
// serialises it on the calling thread; for many small objects JSON text is much cheaper to make
// than a structured clone (770,000 one-key objects, 9.9 MB: JSON.stringify 75–95 ms,
// postMessage 180–250 ms), while strings are cheapest posted as they are (9.5 MB: 1–6 ms, a
// copy). So strings go as they are and every other value as its JSON text, parsed in the worker.
// Inputs are JSON values (the target's output and dataset columns), so nothing is lost.
import type { EvaluatorInputs } from '../../core/model/results.js';

/** Inputs as they cross to the worker: every value a string, `json` naming those that are JSON text. */
export interface EncodedInputs {
  values: Record<string, string>;
  json: string[];
}

/** Encodes the inputs named in `names` that are present; `json` makes the JSON text of a non-string. */
export function encodeInputs(inputs: EvaluatorInputs, names: readonly string[], json: (value: unknown) => string = JSON.stringify): EncodedInputs {
  const values: Record<string, string> = {};
  const encoded: string[] = [];
  for (const name of names) {
    const value = inputs[name];
    if (value === undefined) continue;
    if (typeof value === 'string') values[name] = value;
    else {
      values[name] = json(value);
      encoded.push(name);
    }
  }
  return { values, json: encoded };
}

/** The inputs back as values, in the worker. */
export function decodeInputs(encoded: EncodedInputs): EvaluatorInputs {
  const inputs: EvaluatorInputs = { ...encoded.values };
  for (const name of encoded.json) inputs[name] = JSON.parse(encoded.values[name]!) as unknown;
  return inputs;
}
