// The failpoint switch itself (src/app/runs/failpoints.ts): what ASSAY_FAILPOINTS accepts, and
// that a misspelt point is an error rather than a fault suite that silently injects nothing.
import { describe, expect, it } from 'vitest';
import { failpoint, parseFailpoints } from '../../src/app/runs/failpoints.js';

describe('ASSAY_FAILPOINTS', () => {
  it('parses names with probabilities (1 when omitted)', () => {
    expect(parseFailpoints('commit.before:0.05, commit.after:0.1,finish.before')).toEqual(
      new Map([['commit.before', 0.05], ['commit.after', 0.1], ['finish.before', 1]]),
    );
    expect(parseFailpoints('')).toEqual(new Map());
  });

  it('rejects unknown points and probabilities outside [0, 1]', () => {
    expect(() => parseFailpoints('commit.befor:0.1')).toThrow(/unknown failpoint "commit.befor"/);
    expect(() => parseFailpoints('commit.before:2')).toThrow(/between 0 and 1/);
    expect(() => parseFailpoints('commit.before:x')).toThrow(/between 0 and 1/);
  });

  it('does nothing when the variable is unset (this process is still alive)', () => {
    expect(process.env.ASSAY_FAILPOINTS).toBeUndefined();
    for (let i = 0; i < 1000; i++) failpoint('commit.before');
  });
});
