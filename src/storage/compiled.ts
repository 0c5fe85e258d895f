// Queries of the commit path compiled once and run many times with new values. Building and
// compiling a Kysely query (parsing the builder calls, visiting the operation tree) costs more
// CPU than SQLite takes to run a small commit: at concurrency 10 a commit carries 1–3 cells,
// and the builder was ≈ 80 µs of its ≈ 360 µs (docs/benchmarks.md, "Second wave against the
// first"). The query is built with marker values, compiled for the connection's dialect, and
// the position of each marker in the compiled parameters is kept; each run then only fills in
// an array. Kysely stays the one author of the SQL text for both dialects.
import type { Compilable, CompiledQuery } from 'kysely';

const MARK = '\u0000assay-param:';

/** Names a value of the query; `build` uses it wherever the value goes. */
export type Param = <T>(name: string) => T;

interface Template {
  query: CompiledQuery;
  /** For each compiled parameter: the name of the value it takes, or null for a constant. */
  slots: (string | null)[];
  /** For a multi-row insert: each parameter's row and column (names `<row>.<column>`), or null for a constant. */
  cells?: ({ row: number; column: string } | null)[];
}

/**
 * A query of fixed shape: `build` is called once per shape key with `param` in place of the
 * values, and `bind` fills the compiled query in. Shapes are kept per `key` (at most `maxShapes`,
 * then the oldest goes), e.g. the number of rows of a multi-row insert.
 */
export class CompiledShapes {
  private readonly shapes = new Map<string, Template>();

  constructor(private readonly maxShapes = 200) {}

  bind(key: string, build: (param: Param) => Compilable, values: Record<string, unknown>): CompiledQuery {
    let t = this.shapes.get(key);
    if (!t) {
      t = compileTemplate(build);
      if (this.shapes.size >= this.maxShapes) this.shapes.delete(this.shapes.keys().next().value!);
      this.shapes.set(key, t);
    }
    const parameters = t.slots.map((name, i) => {
      if (name === null) return t.query.parameters[i];
      if (!(name in values)) throw new Error(`compiled query "${key}": no value for ${name}`);
      return values[name];
    });
    return withParameters(t.query, parameters);
  }

  /**
   * A multi-row insert whose `build` names row i's column c `param('<i>.<c>')`: the rows are
   * read by position, with no name built or looked up per value (a commit inserts up to a few
   * hundred rows of twenty-odd columns).
   */
  bindRows(key: string, build: (param: Param) => Compilable, rows: readonly Record<string, unknown>[]): CompiledQuery {
    let t = this.shapes.get(key);
    if (!t) {
      t = compileTemplate(build);
      t.cells = t.slots.map((name) => {
        if (name === null) return null;
        const dot = name.indexOf('.');
        return { row: Number(name.slice(0, dot)), column: name.slice(dot + 1) };
      });
      if (this.shapes.size >= this.maxShapes) this.shapes.delete(this.shapes.keys().next().value!);
      this.shapes.set(key, t);
    }
    const cells = t.cells!;
    const parameters = new Array<unknown>(cells.length);
    for (let i = 0; i < cells.length; i++) {
      const at = cells[i]!;
      parameters[i] = at === null ? t.query.parameters[i] : rows[at.row]![at.column];
    }
    return withParameters(t.query, parameters);
  }
}

function compileTemplate(build: (param: Param) => Compilable): Template {
  const param = (<T>(name: string) => `${MARK}${name}` as T) as Param;
  const query = build(param).compile();
  const slots = query.parameters.map((p) => (typeof p === 'string' && p.startsWith(MARK) ? p.slice(MARK.length) : null));
  return { query, slots };
}

/**
 * The compiled query with these parameters: a copy with them set, not `{ ...query, parameters }`
 * (docs/decisions.md, "No literal that starts with a spread on the hot path"): every commit makes one.
 */
function withParameters(query: CompiledQuery, parameters: readonly unknown[]): CompiledQuery {
  const copy: { -readonly [K in keyof CompiledQuery]: CompiledQuery[K] } = { ...query };
  copy.parameters = parameters;
  return copy;
}
