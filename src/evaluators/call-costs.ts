// What an evaluation's model calls cost, as its result reports it: `cost`, the USD of the calls
// whose cost is known, and `unpricedCalls`, the calls that succeeded with none (a model without a
// price). Without the count, a judge on an unpriced model read as free ($0) in the summaries,
// the estimate and the comparison, as an evaluator that calls no model does.

/** The cost fields of a result: each present only when it says something. */
export interface CostFields {
  cost?: number;
  unpricedCalls?: number;
}

/** The fields for one call's cost (undefined: the call had no known cost). */
export function costFields(cost: number | undefined): CostFields {
  return cost !== undefined ? { cost } : { unpricedCalls: 1 };
}

/** Sums the costs of several calls, or of several results' cost fields (an evaluator set's members). */
export class CallCosts {
  private cost: number | undefined;
  private unpriced = 0;

  /** A successful model call's cost (undefined: unknown). */
  call(cost: number | undefined): void {
    if (cost === undefined) this.unpriced++;
    else this.cost = (this.cost ?? 0) + cost;
  }

  /** Another result's cost fields. */
  result(r: CostFields): void {
    if (r.cost !== undefined) this.cost = (this.cost ?? 0) + r.cost;
    this.unpriced += r.unpricedCalls ?? 0;
  }

  fields(): CostFields {
    const out: CostFields = {};
    if (this.cost !== undefined) out.cost = this.cost;
    if (this.unpriced > 0) out.unpricedCalls = this.unpriced;
    return out;
  }
}
