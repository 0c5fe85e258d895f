// What compiling a pattern with RE2 costs, read from its text without compiling it (see
// safe-regex.ts, which refuses a pattern on this estimate before RE2 sees it): a lower and an
// upper bound on RE2's program size, repeats multiplying, and the compile work of Unicode
// classes and case folding, each weighed from measurements.

/** Work of any pattern, in units of one character: even `^[a-z]+$` takes ≈ 180 µs to compile. */
export const BASE_WORK = 400;
/**
 * RE2 builds a Unicode class (`\pL`, `\p{Greek}`) from its tables, and with case folding (`(?i)`)
 * a range of a class walks every code point it holds that has a case fold
 * (`(?i)[\x{100}-\x{10FFFF}]` alone: 3 ms): weights from measurements as MAX_PATTERN_WORK's.
 */
const UNICODE_CLASS_WORK = 80;
const FOLDED_UNICODE_CLASS_WORK = 320;
const FOLDED_CODE_POINTS_PER_UNIT = 8;
/** RE2's case-folding table spans these code points (re2js Unicode.MIN_FOLD / MAX_FOLD). */
const MIN_FOLD = 0x41;
const MAX_FOLD = 0x1e943;

/**
 * Largest compile work (`patternCost().work`) of one pattern: the slowest shapes found compile
 * in ≈ 3.7 ms at this cap (0.2–0.46 µs a unit, 2-core machine, load ≈ 2), where fourteen
 * `a{1000}` took 21 ms and 300 characters of them 56 ms. A pattern whose program fits
 * MAX_PROGRAM_SIZE stays under it unless RE2 shrinks its alternatives severalfold by factoring.
 */
export const MAX_PATTERN_WORK = 8_000;

/** What compiling a pattern costs, read from its text without compiling it. */
export interface PatternCost {
  /** Fewest RE2 instructions it can compile to (0 where a class may be empty and void it). */
  least: number;
  /** Most RE2 instructions its repeats and alternatives can expand to. */
  most: number;
  /** Estimated compile work: characters + `most` + weighted Unicode classes and folded ranges. */
  work: number;
}

/** One parsed piece (atom or group) of a concatenation. */
interface Piece {
  least: number;
  most: number;
  /** It may match nothing at all (an empty class), which voids the concatenation around it. */
  mayFail: boolean;
}

/** An open group: the alternatives read so far and the concatenation being read. */
interface Frame {
  capture: boolean;
  leastMax: number;
  mostSum: number;
  branches: number;
  allMayFail: boolean;
  least: number;
  most: number;
  mayFail: boolean;
  last: Piece | undefined;
}

const newFrame = (capture: boolean): Frame => ({ capture, leastMax: 0, mostSum: 0, branches: 0, allMayFail: true, least: 0, most: 0, mayFail: false, last: undefined });

function commit(f: Frame): void {
  if (!f.last) return;
  f.least += f.last.least;
  f.most += f.last.most;
  f.mayFail ||= f.last.mayFail;
  f.last = undefined;
}

function endBranch(f: Frame): void {
  commit(f);
  f.leastMax = Math.max(f.leastMax, f.mayFail ? 0 : f.least);
  f.mostSum += f.most;
  f.allMayFail &&= f.mayFail;
  f.branches++;
  f.least = 0;
  f.most = 0;
  f.mayFail = false;
}

/** A group as one piece: alternatives' instructions add up (`most`); RE2 keeps at least the largest. */
function closeGroup(f: Frame): Piece {
  endBranch(f);
  const captures = f.capture ? 2 : 0;
  return {
    least: f.leastMax > 0 ? f.leastMax + captures : 0,
    most: f.mostSum + 2 * f.branches + captures + 1,
    mayFail: f.allMayFail,
  };
}

/** Past this, nested repeats only say "too large" (RE2 refuses them anyway). */
const HUGE = 1e12;

/** `x{min,max}` (max undefined: open) applied to x, as RE2 expands it (max copies of x, or min + a star). */
function repeated(x: Piece, min: number, max: number | undefined): Piece {
  if (max === 0) return { least: 0, most: 1, mayFail: false };
  const optional = min === 0;
  const copies = max ?? Math.max(min, 1);
  return {
    least: Math.min(optional && x.mayFail ? 0 : x.least * copies, HUGE),
    most: Math.min((max === undefined ? min + 1 : max) * (x.most + 1), HUGE),
    mayFail: !optional && x.mayFail,
  };
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** The end (exclusive) of `\x{…}`-like braces at `i` (pointing at `{`), or of `n` characters. */
function skipBraced(t: string, i: number, n: number): number {
  if (t[i] === '{') {
    const close = t.indexOf('}', i);
    return close === -1 ? t.length : close + 1;
  }
  return Math.min(i + n, t.length);
}

const ESCAPED: Record<string, number> = { n: 10, t: 9, r: 13, f: 12, v: 11, a: 7 };

/** The code point of one class member at `j` and where it ends, or undefined if not one character (`\d`). */
function classChar(t: string, j: number): [number, number] | undefined {
  if (t[j] !== '\\') {
    const cp = t.codePointAt(j);
    return cp === undefined ? undefined : [cp, j + (cp > 0xffff ? 2 : 1)];
  }
  const e = t[j + 1];
  if (e === undefined || 'dDwWsSpP'.includes(e)) return undefined;
  if (e === 'x') {
    const end = skipBraced(t, j + 2, 2);
    return [Number.parseInt(t.slice(j + 2, end).replace(/[{}]/g, ''), 16) || 0, end];
  }
  if (e >= '0' && e <= '7') {
    let end = j + 1;
    while (end < j + 4 && t[end]! >= '0' && t[end]! <= '7') end++;
    return [Number.parseInt(t.slice(j + 1, end), 8), end];
  }
  const cp = ESCAPED[e] ?? e.codePointAt(0)!;
  return [cp, j + 1 + (cp > 0xffff ? 2 : 1)];
}

/** Code points of lo–hi that case folding walks one by one (none when it spans the whole table). */
function foldedCodePoints(lo: number, hi: number): number {
  if ((lo <= MIN_FOLD && hi >= MAX_FOLD) || hi < MIN_FOLD || lo > MAX_FOLD) return 0;
  return Math.min(hi, MAX_FOLD) - Math.max(lo, MIN_FOLD) + 1;
}

/** What a bracket class adds up to: its compile work, and whether it may be empty. */
interface ClassScan {
  work: number;
  mayFail: boolean;
}

/**
 * Reads the class `[…]` at `i`; returns where it ends. A negated class, or one of negated Unicode
 * classes only, may be empty (`[^\x00-\x{10FFFF}]`, `[\P{Any}]`), which voids what contains it.
 */
function scanClass(t: string, i: number, fold: boolean, out: ClassScan): number {
  let j = i + 1;
  out.work = 0;
  out.mayFail = t[j] === '^';
  if (out.mayFail) j++;
  let onlyNegated = true;
  let first = true;
  while (j < t.length && (t[j] !== ']' || first)) {
    first = false;
    const e = t[j] === '\\' ? t[j + 1] : undefined;
    if (e === 'p' || e === 'P') {
      out.work += fold ? FOLDED_UNICODE_CLASS_WORK : UNICODE_CLASS_WORK;
      if (e === 'p' && t[j + 3] !== '^') onlyNegated = false;
      j = skipBraced(t, j + 2, 1);
      continue;
    }
    onlyNegated = false;
    if (t[j] === '[' && t[j + 1] === ':') {
      const close = t.indexOf(':]', j + 2);
      j = close === -1 ? j + 1 : close + 2;
      continue;
    }
    const lo = classChar(t, j);
    if (!lo) {
      j += 2;
      continue;
    }
    j = lo[1];
    const hi = t[j] === '-' && t[j + 1] !== ']' ? classChar(t, j + 1) : undefined;
    if (hi) j = hi[1];
    if (fold) out.work += foldedCodePoints(lo[0], hi ? hi[0] : lo[0]) / FOLDED_CODE_POINTS_PER_UNIT;
  }
  out.mayFail ||= onlyNegated;
  return j + 1;
}

/**
 * Bounds of the RE2 program a pattern (in RE2 syntax) compiles to, from one pass over its text.
 * Every piece counts one instruction (two more for a capture), a repeat `{n,m}` multiplies its
 * piece by m; `least` is a true lower bound (alternatives count their largest, possibly empty
 * classes count nothing), `most` an upper bound (alternatives add up). Invalid syntax is read
 * as best it can be: RE2 refuses it anyway.
 */
export function patternCost(t: string, ignoreCase = false): PatternCost {
  const stack: Frame[] = [newFrame(false)];
  // Folding is taken to apply everywhere once any group turns it on (an upper bound).
  const fold = ignoreCase || /\(\?[a-zA-Z-]*i/.test(t);
  const scanned: ClassScan = { work: 0, mayFail: false };
  let work = BASE_WORK + t.length;
  let f = stack[0]!;
  const atom = (least: number, mayFail = false): void => {
    commit(f);
    f.last = { least, most: 1, mayFail };
  };
  let i = 0;
  while (i < t.length) {
    const c = t[i]!;
    if (c === '\\') {
      const e = t[i + 1];
      if (e === 'Q') {
        // \Q…\E: each character is one literal.
        const end = t.indexOf('\\E', i + 2);
        const stop = end === -1 ? t.length : end;
        for (let j = i + 2; j < stop; j += t.codePointAt(j)! > 0xffff ? 2 : 1) atom(1);
        i = end === -1 ? t.length : end + 2;
      } else if (e === 'p' || e === 'P') {
        work += fold ? FOLDED_UNICODE_CLASS_WORK : UNICODE_CLASS_WORK;
        const end = skipBraced(t, i + 2, 1);
        // A negated class may be empty (\P{Any}).
        atom(1, e === 'P' || t[i + 3] === '^');
        i = end;
      } else if (e === 'x') {
        atom(1);
        i = skipBraced(t, i + 2, 2);
      } else if (isDigit(e)) {
        atom(1);
        let j = i + 1;
        while (j < i + 4 && isDigit(t[j])) j++;
        i = j;
      } else if (e === 'b' || e === 'B' || e === 'A' || e === 'z') {
        atom(0);
        i += 2;
      } else {
        atom(1);
        i += e !== undefined && e.codePointAt(0)! > 0xffff ? 3 : 2;
      }
    } else if (c === '[') {
      i = scanClass(t, i, fold, scanned);
      work += scanned.work;
      atom(1, scanned.mayFail);
    } else if (c === '(') {
      let capture = true;
      let j = i + 1;
      if (t[j] === '?') {
        const named = t.startsWith('P<', j + 1) || (t[j + 1] === '<' && t[j + 2] !== '=' && t[j + 2] !== '!');
        if (named) {
          const close = t.indexOf('>', j);
          j = close === -1 ? t.length : close + 1;
        } else {
          capture = false;
          j++;
          while (j < t.length && /[a-zA-Z-]/.test(t[j]!)) j++;
          if (t[j] === ')') {
            // Flags only, as in (?i): no group.
            i = j + 1;
            continue;
          }
          j++;
        }
      }
      commit(f);
      f = newFrame(capture);
      stack.push(f);
      i = j;
    } else if (c === ')') {
      if (stack.length > 1) {
        const group = closeGroup(stack.pop()!);
        f = stack[stack.length - 1]!;
        commit(f);
        f.last = group;
      }
      i++;
    } else if (c === '|') {
      endBranch(f);
      i++;
    } else if (c === '*' || c === '+' || c === '?') {
      if (f.last) f.last = repeated(f.last, c === '+' ? 1 : 0, c === '?' ? 1 : undefined);
      i++;
      // Lazy (`*?`) or possessive (refused by RE2) marks.
      if (t[i] === '?' || t[i] === '+') i++;
    } else if (c === '{' && isDigit(t[i + 1])) {
      // {n}, {n,} or {n,m}; anything else is a literal brace.
      let j = i + 1;
      while (isDigit(t[j])) j++;
      const min = Math.min(Number(t.slice(i + 1, j)), 1e6);
      let max: number | undefined = min;
      let valid = t[j] === '}';
      if (t[j] === ',') {
        const from = ++j;
        while (isDigit(t[j])) j++;
        max = j > from ? Math.min(Number(t.slice(from, j)), 1e6) : undefined;
        valid = t[j] === '}';
      }
      if (valid && f.last) {
        f.last = repeated(f.last, min, max);
        i = j + 1;
        if (t[i] === '?' || t[i] === '+') i++;
      } else {
        atom(1);
        i++;
      }
    } else if (c === '^' || c === '$') {
      atom(0);
      i++;
    } else {
      atom(1);
      i += t.codePointAt(i)! > 0xffff ? 2 : 1;
    }
  }
  // Unclosed groups (RE2 refuses them) are closed here so their pieces count.
  while (stack.length > 1) {
    const group = closeGroup(stack.pop()!);
    f = stack[stack.length - 1]!;
    commit(f);
    f.last = group;
  }
  const root = closeGroup(stack[0]!);
  // RE2 adds a fail and a match instruction; the group closing counted one of them.
  const least = root.mayFail ? 0 : root.least;
  const most = root.most + 1;
  return { least, most, work: Math.ceil(work + most) };
}
