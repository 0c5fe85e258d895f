// A large JSON body is parsed in pieces with turns between them (json-pieces.ts). What a user
// would notice: the same value as JSON.parse gives, the same texts refused, the same forbidden
// keys refused, and other requests served while a 10 MB body is read.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { setTurnBudget, TURN_BUDGET_MS } from '../core/turns.js';
import { turnsDuring } from '../testing/turns.js';
import { parseUntrustedJsonInTurns } from './json.js';
import { parseInPieces, PIECE_CHARS } from './json-pieces.js';

afterEach(() => setTurnBudget(TURN_BUDGET_MS));

const noKeyCheck = (): void => {};

/** A body of wide rows, ≈ `rows` × 60 KB: each row longer than nothing, the whole many pieces. */
function wideRows(rows: number): { name: string; rows: Record<string, unknown>[] } {
  return {
    name: 'wide',
    rows: Array.from({ length: rows }, (_, r) => Object.fromEntries(Array.from({ length: 3_000 }, (_, i) => [`c${i}`, i % 3 === 0 ? `v${r}-${i}` : i % 3 === 1 ? r * 0.5 + i : [i, { n: null }]]))),
  };
}

describe('parseInPieces', () => {
  it('gives what JSON.parse gives, for members shorter and longer than a piece, nested', async () => {
    const long = 'x'.repeat(PIECE_CHARS + 10);
    const values: unknown[] = [
      wideRows(40),
      { a: 1, big: { inner: Array.from({ length: 60_000 }, (_, i) => ({ i, s: `s${i}` })), after: [long] }, z: 'end' },
      [long, 1, [long], { k: long }, [], {}, '', null, true, false, -0.5e-3],
      { dup: 1, other: long, dup2: [long] },
    ];
    for (const value of values) {
      const text = JSON.stringify(value, null, value === values[3] ? 2 : undefined);
      expect(text.length).toBeGreaterThan(PIECE_CHARS);
      expect(await parseInPieces(text, JSON.parse, noKeyCheck)).toStrictEqual(JSON.parse(text));
    }
  });

  it('keeps the last of a repeated key at the place of its first, as JSON.parse does', async () => {
    const long = JSON.stringify('y'.repeat(PIECE_CHARS));
    const text = `{"a":1,"b":${long},"c":3,"a":${long},"b":2}`;
    const parsed = (await parseInPieces(text, JSON.parse, noKeyCheck)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(Object.keys(JSON.parse(text) as object));
    expect(parsed).toStrictEqual(JSON.parse(text));
  });

  it('refuses every text JSON.parse refuses, and only those (one character changed anywhere)', async () => {
    const base = JSON.stringify({ r: Array.from({ length: 4 }, (_, i) => ({ k: 'z'.repeat(PIECE_CHARS / 3), n: [i, { q: '"[{,' }] })) });
    const edits = '[]{},:"\\ 0a-.e';
    await fc.assert(
      fc.asyncProperty(fc.nat(base.length - 1), fc.constantFrom(...edits.split('')), fc.boolean(), async (at, ch, insert) => {
        const text = base.slice(0, at) + ch + base.slice(insert ? at : at + 1);
        let expected: unknown;
        let refused = false;
        try {
          expected = JSON.parse(text);
        } catch {
          refused = true;
        }
        const got = parseInPieces(text, JSON.parse, noKeyCheck);
        if (refused) await expect(got).rejects.toThrow(SyntaxError);
        else expect(await got).toStrictEqual(expected);
      }),
      { numRuns: 300, seed: 17 },
    );
  });

  it('refuses text that only a structure check sees: stray closers, missing values, trailing text', async () => {
    const long = JSON.stringify('w'.repeat(PIECE_CHARS));
    for (const text of [`[${long},,1]`, `[${long},]`, `[1,${long}}`, `{"a":${long}]`, `[${long}] x`, `[${long}`, `{"a" ${long}}`, `{${long}}`, `[${long} 1]`, `{"a":${long},}`]) {
      expect(() => JSON.parse(text), text.slice(0, 20)).toThrow();
      await expect(parseInPieces(text, JSON.parse, noKeyCheck), text.slice(0, 20)).rejects.toThrow(SyntaxError);
    }
  });

  it('parses a 2 MB body over several turns of the event loop, where JSON.parse takes none', async () => {
    const text = JSON.stringify(wideRows(40));
    expect(text.length).toBeGreaterThan(2_000_000);
    setTurnBudget(0);
    let value: unknown;
    const turns = await turnsDuring(async () => {
      value = await parseUntrustedJsonInTurns(text);
    });
    expect(value).toStrictEqual(JSON.parse(text));
    // Before: one turn for the scan, the parse in one go.
    expect(turns).toBeGreaterThanOrEqual(Math.floor(text.length / PIECE_CHARS));
  });
});

describe('parseUntrustedJsonInTurns on a large body', () => {
  const long = JSON.stringify('v'.repeat(PIECE_CHARS));

  it('refuses __proto__ and constructor.prototype keys, in a run and in a member cut on its own', async () => {
    const bodies = [
      `{"a":${long},"__proto__":{"x":1}}`,
      `{"a":${long},"\\u005f_proto__":1}`,
      `{"__proto__":{"big":${long}}}`,
      `{"rows":[{"constructor":{"prototype":{"big":${long}}}}]}`,
      `{"a":[${long}],"b":{"constructor":{"prototype":1}}}`,
    ];
    for (const body of bodies) {
      await expect(parseUntrustedJsonInTurns(body), body.slice(0, 40)).rejects.toMatchObject({ message: expect.stringMatching(/forbidden key/) });
    }
    // A key named constructor is data unless it holds a prototype.
    const fine = (await parseUntrustedJsonInTurns(`{"constructor":{"big":${long}}}`)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(fine)).toBe(Object.prototype);
    expect(Object.hasOwn(fine, 'constructor')).toBe(true);
  });

  it('says where a large body is not valid JSON, counted in the whole body', async () => {
    const body = `{"a":${long},"b":[1,2,}`;
    const error = await parseUntrustedJsonInTurns(body).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_json' });
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    expect(Number(at)).toBeGreaterThan(PIECE_CHARS);
    expect(Number(at)).toBeLessThanOrEqual(body.length);
  });

  it('refuses a lone surrogate and a number out of range in a large body, as in a small one', async () => {
    await expect(parseUntrustedJsonInTurns(`{"a":${long},"b":"\\ud800"}`)).rejects.toThrow(/lone surrogate/);
    await expect(parseUntrustedJsonInTurns(`{"a":${long},"b":[1e400]}`)).rejects.toThrow(/out of range at b\.0/);
  });
});
