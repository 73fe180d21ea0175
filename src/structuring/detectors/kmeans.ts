import { nextDouble, randomInt, type Rng } from './random.js';
import type { Rows } from './rows.js';

/** Result of Lloyd's k-means. */
export interface KMeansResult {
  /** k × d centers, row-major. */
  readonly centers: Float64Array;
  readonly labels: Int32Array;
  readonly nIter: number;
}

/** Squared Euclidean distance between row `i` of `x` and row `c` of `centers`. */
function distance2(x: Rows, i: number, centers: Float64Array, c: number): number {
  let sum = 0;
  for (let j = 0; j < x.d; j++) {
    const diff = (x.data[i * x.d + j] ?? 0) - (centers[c * x.d + j] ?? 0);
    sum += diff * diff;
  }
  return sum;
}

/**
 * Greedy k-means++ seeding as sklearn's `_kmeans_plusplus`: each new center is the best
 * of 2 + ⌊ln k⌋ candidates drawn proportionally to D². With `mt19937(seed)` the draws
 * equal sklearn's `random_state=seed`.
 */
export function kmeansPlusPlus(x: Rows, k: number, rng: Rng): Float64Array {
  const centers = new Float64Array(k * x.d);
  const trials = 2 + Math.floor(Math.log(k));
  let chosen = randomInt(rng, x.n);
  centers.set(x.data.subarray(chosen * x.d, (chosen + 1) * x.d), 0);
  let closest = Float64Array.from({ length: x.n }, (_, i) => distance2(x, i, centers, 0));
  for (let c = 1; c < k; c++) {
    const potential = closest.reduce((a, b) => a + b, 0);
    const cumulative = cumulativeSum(closest);
    let best = { total: Infinity, id: chosen, dist: closest };
    for (let t = 0; t < trials; t++) {
      const id = Math.min(searchLeft(cumulative, nextDouble(rng) * potential), x.n - 1);
      const dist = Float64Array.from(closest, (v, i) => Math.min(v, distance2(x, i, x.data, id)));
      const total = dist.reduce((a, b) => a + b, 0);
      // The first best candidate wins ties, as numpy's argmin.
      if (total < best.total) best = { total, id, dist };
    }
    closest = best.dist;
    chosen = best.id;
    centers.set(x.data.subarray(chosen * x.d, (chosen + 1) * x.d), c * x.d);
  }
  return centers;
}

function cumulativeSum(values: Float64Array): Float64Array {
  let sum = 0;
  return values.map((v) => (sum += v));
}

/** First index whose value is ≥ `target` (numpy's `searchsorted(side='left')`). */
function searchLeft(sorted: Float64Array, target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Nearest center of every row (ties to the lower index); returns how many labels changed. */
function assign(x: Rows, centers: Float64Array, k: number, labels: Int32Array): number {
  let changed = 0;
  for (let i = 0; i < x.n; i++) {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      const dist = distance2(x, i, centers, c);
      if (dist < bestDistance) [best, bestDistance] = [c, dist];
    }
    if (labels[i] !== best) changed++;
    labels[i] = best;
  }
  return changed;
}

/** Means of the clusters; an empty cluster keeps its center. Returns the squared shift. */
function updateCenters(x: Rows, labels: Int32Array, centers: Float64Array, k: number): number {
  const sums = new Float64Array(k * x.d);
  const counts = new Float64Array(k);
  for (let i = 0; i < x.n; i++) {
    const c = labels[i] ?? 0;
    counts[c] = (counts[c] ?? 0) + 1;
    for (let j = 0; j < x.d; j++) sums[c * x.d + j] = (sums[c * x.d + j] ?? 0) + (x.data[i * x.d + j] ?? 0);
  }
  let shift = 0;
  for (let p = 0; p < k * x.d; p++) {
    const count = counts[Math.floor(p / x.d)] ?? 0;
    const next = count > 0 ? (sums[p] ?? 0) / count : (centers[p] ?? 0);
    shift += (next - (centers[p] ?? 0)) ** 2;
    centers[p] = next;
  }
  return shift;
}

/** sklearn's tolerance: `tol` times the mean feature variance. */
function scaledTolerance(x: Rows, tol: number): number {
  let total = 0;
  for (let j = 0; j < x.d; j++) {
    let mean = 0;
    let sq = 0;
    for (let i = 0; i < x.n; i++) mean += x.data[i * x.d + j] ?? 0;
    mean /= x.n;
    for (let i = 0; i < x.n; i++) sq += ((x.data[i * x.d + j] ?? 0) - mean) ** 2;
    total += sq / x.n;
  }
  return (total / x.d) * tol;
}

/**
 * Lloyd's k-means from k-means++ seeds, stopping as sklearn does: labels unchanged, or
 * center shift² ≤ tol × mean variance (then labels are recomputed for the final centers).
 */
export function kmeans(x: Rows, k: number, rng: Rng, maxIter = 300, tol = 1e-4): KMeansResult {
  const centers = kmeansPlusPlus(x, k, rng);
  const labels = new Int32Array(x.n).fill(-1);
  const threshold = scaledTolerance(x, tol);
  let nIter = 0;
  let strict = false;
  while (nIter < maxIter && !strict) {
    nIter++;
    strict = assign(x, centers, k, labels) === 0;
    if (!strict && updateCenters(x, labels, centers, k) <= threshold) break;
  }
  if (!strict) assign(x, centers, k, labels);
  return { centers, labels, nIter };
}
