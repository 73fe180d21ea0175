import type { Matrix } from './preprocessing.js';

/** Feature values cut into at most 256 bins, column-major: `bins[feature * rows + row]`. */
export interface BinnedMatrix {
  readonly bins: Uint8Array;
  readonly rows: number;
  readonly width: number;
  /** Per feature, ascending cut points: a value v falls in bin `#{edges < v}`, so v <= edges[b] ⇔ bin <= b. */
  readonly edges: readonly Float32Array[];
}

/**
 * Cut points per feature: midpoints between distinct values when there are few, quantiles
 * otherwise. Values are rounded to float32, the precision of the rows, so training and
 * inference put a value on the same side of each cut.
 */
export function fitBinEdges(matrix: Matrix, maxBins = 256): Float32Array[] {
  const edges: Float32Array[] = [];
  const column = new Float32Array(matrix.rows);
  for (let f = 0; f < matrix.width; f++) {
    for (let r = 0; r < matrix.rows; r++) column[r] = matrix.data[r * matrix.width + f] as number;
    edges.push(cutPoints(distinct(column.slice().sort()), maxBins - 1));
  }
  return edges;
}

function distinct(sorted: Float32Array): { values: number[]; counts: number[] } {
  const values: number[] = [];
  const counts: number[] = [];
  for (const value of sorted) {
    if (values.length > 0 && values[values.length - 1] === value) counts[counts.length - 1]! += 1;
    else {
      values.push(value);
      counts.push(1);
    }
  }
  return { values, counts };
}

function cutPoints(
  { values, counts }: { values: number[]; counts: number[] },
  maxEdges: number,
): Float32Array {
  if (values.length - 1 <= maxEdges) {
    return uniqueSorted(values.slice(1).map((v, i) => Math.fround(((values[i] as number) + v) / 2)));
  }
  const total = counts.reduce((sum, c) => sum + c, 0);
  const cuts: number[] = [];
  let seen = 0;
  let next = 1;
  for (let i = 0; i < values.length - 1 && next <= maxEdges; i++) {
    seen += counts[i] as number;
    if (seen >= (next * total) / (maxEdges + 1)) {
      cuts.push(Math.fround(((values[i] as number) + (values[i + 1] as number)) / 2));
      while (next <= maxEdges && seen >= (next * total) / (maxEdges + 1)) next += 1;
    }
  }
  return uniqueSorted(cuts);
}

function uniqueSorted(values: number[]): Float32Array {
  return Float32Array.from(values.filter((v, i) => i === 0 || v !== values[i - 1]));
}

/** The bin of `value` under `edges` (binary search). */
export function binOf(edges: Float32Array, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bins every value of `matrix` with the given edges. */
export function binMatrix(matrix: Matrix, edges: readonly Float32Array[]): BinnedMatrix {
  const bins = new Uint8Array(matrix.rows * matrix.width);
  for (let f = 0; f < matrix.width; f++) {
    const cuts = edges[f] as Float32Array;
    for (let r = 0; r < matrix.rows; r++)
      bins[f * matrix.rows + r] = binOf(cuts, matrix.data[r * matrix.width + f] as number);
  }
  return { bins, rows: matrix.rows, width: matrix.width, edges };
}
