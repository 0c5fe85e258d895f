// A strict parser of the Prometheus text exposition format (0.0.4), for tests: every line must
// be a comment (`# HELP`/`# TYPE` checked), blank, or a sample `name{label="value",…} value
// [timestamp]` with escaped label values; anything else throws, naming the line.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** Metric family name → its TYPE. */
  types: Map<string, string>;
  /** The sum of the samples named `name` whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const VALUE = '(?:[+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+(?:[eE][+-]?\\d+)?)|[+-]?(?:[Ii]nf(?:inity)?|INF)|[Nn]a[Nn]|NAN)';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (${VALUE})(?: -?\\d+)?$`);
const PAIR = new RegExp(`^(${LABEL})="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = PAIR.exec(rest);
    if (!m) throw new Error(`line ${line}: bad label list ${JSON.stringify(text)}`);
    if (m[1]! in labels) throw new Error(`line ${line}: label ${m[1]} twice`);
    labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(m[0].length);
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest !== '') throw new Error(`line ${line}: expected , in ${JSON.stringify(text)}`);
  }
  return labels;
}

export function parsePrometheusText(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!m) return; // other comments are allowed
      if (!new RegExp(`^${NAME}$`).test(m[2]!)) throw new Error(`line ${line}: bad metric name ${m[2]}`);
      if (m[1] === 'TYPE') {
        if (!TYPES.has(m[3]!)) throw new Error(`line ${line}: bad type ${m[3]}`);
        if (types.has(m[2]!)) throw new Error(`line ${line}: second TYPE for ${m[2]}`);
        types.set(m[2]!, m[3]!);
      }
      return;
    }
    const m = SAMPLE.exec(raw);
    if (!m) throw new Error(`line ${line}: not a sample: ${JSON.stringify(raw)}`);
    const v = m[3]!;
    // Go's ParseFloat, which Prometheus uses, reads Inf and NaN in any case.
    const value = /inf/i.test(v) ? (v.startsWith('-') ? -Infinity : Infinity) : /nan/i.test(v) ? NaN : Number(v);
    samples.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2], line) : {}, value });
  });
  return {
    samples,
    types,
    sum: (name, match = {}) =>
      samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0),
  };
}
