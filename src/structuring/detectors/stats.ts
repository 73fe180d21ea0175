/**
 * Percentile with numpy's default (linear) interpolation, including numpy's
 * two-sided lerp, so contamination thresholds equal sklearn's `np.percentile`.
 */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const position = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = position - lo;
  const a = sorted[lo] ?? 0;
  const b = sorted[hi] ?? 0;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Mean of `values` (sequential sum). */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] ?? 0;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/**
 * numpy's pairwise summation of `values[from..from+count)` (8 partial sums per block),
 * used where results must agree with numpy's `mean` to the last bit.
 */
export function pairwiseSum(values: ArrayLike<number>, from: number, count: number): number {
  if (count < 8) {
    let sum = 0;
    for (let i = 0; i < count; i++) sum += values[from + i] ?? 0;
    return sum;
  }
  if (count <= 128) return blockSum(values, from, count);
  let half = Math.floor(count / 2);
  half -= half % 8;
  return pairwiseSum(values, from, half) + pairwiseSum(values, from + half, count - half);
}

function blockSum(values: ArrayLike<number>, from: number, count: number): number {
  const at = (i: number): number => values[from + i] ?? 0;
  let [r0, r1, r2, r3, r4, r5, r6, r7] = [at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7)];
  let i = 8;
  for (; i < count - (count % 8); i += 8) {
    [r0, r1, r2, r3] = [r0 + at(i), r1 + at(i + 1), r2 + at(i + 2), r3 + at(i + 3)];
    [r4, r5, r6, r7] = [r4 + at(i + 4), r5 + at(i + 5), r6 + at(i + 6), r7 + at(i + 7)];
  }
  // numpy's combination order: ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)).
  let sum = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < count; i++) sum += at(i);
  return sum;
}
