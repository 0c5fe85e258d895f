// An evaluation's cost fields: a known cost sums, an unknown one is counted, never read as 0.
import { describe, expect, it } from 'vitest';
import { CallCosts, costFields } from './call-costs.js';

describe('cost fields', () => {
  it('one call: its cost, or one unpriced call (a free call costs 0 and is priced)', () => {
    expect(costFields(0.002)).toEqual({ cost: 0.002 });
    expect(costFields(0)).toEqual({ cost: 0 });
    expect(costFields(undefined)).toEqual({ unpricedCalls: 1 });
  });

  it('several calls or results: the known costs summed, the unknown ones counted, nothing when there was no call', () => {
    expect(new CallCosts().fields()).toEqual({});
    const calls = new CallCosts();
    calls.call(0.25);
    calls.call(undefined);
    calls.call(0.5);
    expect(calls.fields()).toEqual({ cost: 0.75, unpricedCalls: 1 });
    // An evaluator set adds its members' results: a member that calls no model adds nothing.
    const set = new CallCosts();
    set.result({ cost: 0.1, unpricedCalls: 2 });
    set.result({});
    set.result({ unpricedCalls: 1 });
    expect(set.fields()).toEqual({ cost: 0.1, unpricedCalls: 3 });
  });
});
