import { CompiledQuery, type Compilable } from 'kysely';

/** Most shapes kept per store; the cache starts over when it is full. */
const MAX_SHAPES = 1000;

interface Template {
  readonly sql: string;
  /** Parameters after the caller's (constants of the query, such as a `where` value). */
  readonly tail: readonly unknown[];
}

/**
 * Queries that Kysely compiles once per store and shape, then runs with new parameters.
 * Building and compiling a multi-row upsert costs Kysely a fixed part (its `on conflict`
 * clause alone is a dozen column references) plus a few µs per row, on every batch of the
 * scoring hot path; the SQL of such a query depends only on the dialect and its shape (row
 * count and columns), so the same text serves every batch of that shape.
 */
export class QueryTemplates {
  private readonly byStore = new WeakMap<object, Map<string, Template>>();

  /**
   * The query `build()` compiles to, with `parameters` in place of its leading parameters.
   * `shape` must name everything the SQL depends on besides the store. The first compile of
   * a shape checks that it does begin with `parameters`; a query that does not is compiled
   * every time.
   */
  compile(
    store: object,
    shape: string,
    parameters: readonly unknown[],
    build: () => Compilable,
  ): CompiledQuery {
    const templates = this.templatesOf(store);
    const template = templates.get(shape);
    if (template) return CompiledQuery.raw(template.sql, [...parameters, ...template.tail]);
    const compiled = build().compile();
    if (!startsWith(compiled.parameters, parameters)) return compiled;
    if (templates.size >= MAX_SHAPES) templates.clear();
    templates.set(shape, { sql: compiled.sql, tail: compiled.parameters.slice(parameters.length) });
    return compiled;
  }

  /**
   * The multi-row INSERT `build()` compiles to for `rows`, compiled once per store, `kind`,
   * row count and columns. Rows that are not plain values of the same columns are compiled
   * every time.
   */
  insert(store: object, kind: string, rows: readonly object[], build: () => Compilable): CompiledQuery {
    const columns = Object.keys(rows[0] ?? {});
    const parameters = rowParameters(rows, columns);
    if (!parameters) return build().compile();
    return this.compile(store, `${kind}:${rows.length}:${columns.join()}`, parameters, build);
  }

  private templatesOf(store: object): Map<string, Template> {
    let templates = this.byStore.get(store);
    if (!templates) {
      templates = new Map();
      this.byStore.set(store, templates);
    }
    return templates;
  }
}

function startsWith(all: readonly unknown[], head: readonly unknown[]): boolean {
  return all.length >= head.length && head.every((value, i) => Object.is(value, all[i]));
}

/**
 * Rows as the flat parameter list of a multi-row INSERT (row by row, `columns` in order),
 * or undefined when a row has other columns or a value Kysely would not bind as a parameter
 * as it is (undefined leaves the column out; an object may be an expression), so other SQL.
 */
export function rowParameters(rows: readonly object[], columns: readonly string[]): unknown[] | undefined {
  const parameters: unknown[] = [];
  for (const row of rows) {
    if (Object.keys(row).length !== columns.length) return undefined;
    for (const column of columns) {
      const value = (row as Record<string, unknown>)[column];
      if (!isPlainValue(value)) return undefined;
      parameters.push(value);
    }
  }
  return parameters;
}

/** null, a string, number, bigint or boolean, or bytes. */
function isPlainValue(value: unknown): boolean {
  if (value === null || value instanceof Uint8Array) return true;
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'bigint' || type === 'boolean';
}
