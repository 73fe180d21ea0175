/**
 * Dense row-major feature matrix: row `i`, feature `j` is `data[i * d + j]`.
 * One typed array instead of an array of rows keeps scoring of millions of rows
 * free of per-row allocation.
 */
export interface Rows {
  readonly data: Float64Array;
  /** Number of rows. */
  readonly n: number;
  /** Number of features per row. */
  readonly d: number;
}

/**
 * Packs an array of equal-length rows into {@link Rows}.
 *
 * @example rowsFromArrays([[1, 2], [3, 4]]) // { n: 2, d: 2, data: [1, 2, 3, 4] }
 */
export function rowsFromArrays(arrays: readonly (readonly number[])[]): Rows {
  const n = arrays.length;
  const d = arrays[0]?.length ?? 0;
  const data = new Float64Array(n * d);
  arrays.forEach((row, i) => {
    if (row.length !== d) throw new RangeError(`row ${i} has ${row.length} features, expected ${d}`);
    data.set(row, i * d);
  });
  return { data, n, d };
}

/** Wraps a row-major buffer, checking that its length is a multiple of `d`. */
export function rowsOf(data: Float64Array, d: number): Rows {
  if (d <= 0 || data.length % d !== 0) throw new RangeError(`buffer of ${data.length} is not n × ${d}`);
  return { data, n: data.length / d, d };
}

/** Copies the rows at `indices` (in that order) into a new matrix. */
export function takeRows(rows: Rows, indices: Int32Array): Rows {
  const { d } = rows;
  const data = new Float64Array(indices.length * d);
  for (let k = 0; k < indices.length; k++) {
    const from = (indices[k] ?? 0) * d;
    data.set(rows.data.subarray(from, from + d), k * d);
  }
  return { data, n: indices.length, d };
}

/** One feature of every row, as a new column vector. */
export function column(rows: Rows, j: number): Float64Array {
  const out = new Float64Array(rows.n);
  for (let i = 0, p = j; i < rows.n; i++, p += rows.d) out[i] = rows.data[p] ?? 0;
  return out;
}
