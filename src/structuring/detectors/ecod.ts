import {
  defineDetector,
  flagAbove,
  type BaseOptions,
  type FittedDetector,
  type ScoreResult,
} from './detector.js';
import { column, type Rows } from './rows.js';
import { fitSample } from './sample.js';
import { percentile } from './stats.js';

/** ECOD options; the method itself has no parameters. */
export interface EcodOptions extends BaseOptions {
  /** Share of the fitted rows with the highest scores that is flagged. Default 0.01. */
  readonly contamination: number;
}

/** Defaults of {@link ecod}. */
export const ECOD_DEFAULTS = {
  contamination: 0.01,
  fitSampleSize: 100_000,
  seed: 0,
} as const satisfies EcodOptions;

/** Sorted fitted values of each feature and the sign of its skewness. */
export interface EcodModel {
  readonly sorted: readonly Float64Array[];
  /** Per feature: for each sorted position, the end of its run of equal values. */
  readonly runEnd: readonly Int32Array[];
  readonly skewSign: Int8Array;
}

/** Fits the per-feature empirical CDFs. */
export function fitEcod(train: Rows): EcodModel {
  const sorted: Float64Array[] = [];
  const skewSign = new Int8Array(train.d);
  for (let j = 0; j < train.d; j++) {
    const values = column(train, j);
    skewSign[j] = Math.sign(skewness(values));
    sorted.push(values.sort());
  }
  return { sorted, runEnd: sorted.map(runEnds), skewSign };
}

/** For each position of `sorted`, the position after the last value equal to it. */
function runEnds(sorted: Float64Array): Int32Array {
  const ends = new Int32Array(sorted.length);
  for (let i = sorted.length - 1; i >= 0; i--) {
    ends[i] = i + 1 < sorted.length && sorted[i + 1] === sorted[i] ? (ends[i + 1] ?? 0) : i + 1;
  }
  return ends;
}

/** Biased sample skewness m3 / m2^1.5 (scipy's `skew`). */
function skewness(values: Float64Array): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  let m2 = 0;
  let m3 = 0;
  for (const v of values) {
    m2 += (v - m) ** 2;
    m3 += (v - m) ** 3;
  }
  return m2 === 0 ? 0 : m3 / values.length / (m2 / values.length) ** 1.5;
}

/** Number of sorted values < x. */
function rankBelow(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * ECOD scores (Li et al. 2022): per feature, tail probabilities −log F(x) and
 * −log(1 − F(x⁻)) from the empirical CDF; the score is the largest of the left, right
 * and skewness-chosen sums. `inSample`: the rows are the fitted rows, so each counts
 * itself (PyOD's fit); otherwise a row is counted as if added to the sample.
 */
export function ecodScores(model: EcodModel, rows: Rows, inSample: boolean): ScoreResult {
  const scores = new Float64Array(rows.n);
  const feature = new Int32Array(rows.n);
  const tails = new Float64Array(3 * rows.d);
  const tail = tailTable(model.sorted[0]?.length ?? 0, inSample ? 0 : 1);
  for (let i = 0; i < rows.n; i++) {
    for (let j = 0; j < rows.d; j++) {
      const sorted = model.sorted[j] ?? new Float64Array(0);
      const x = rows.data[i * rows.d + j] ?? 0;
      const below = rankBelow(sorted, x);
      const atMost = sorted[below] === x ? (model.runEnd[j]?.[below] ?? below) : below;
      const left = tail[atMost] ?? 0;
      const right = tail[sorted.length - below] ?? 0;
      tails[j] = left;
      tails[rows.d + j] = right;
      tails[2 * rows.d + j] = (model.skewSign[j] ?? 0) < 0 ? left : right;
    }
    setBestAggregate(tails, rows.d, i, scores, feature);
  }
  return { scores, flags: new Uint8Array(rows.n), extra: { feature } };
}

/**
 * −log((c + extra) / (n + extra)) for every count c of fitted values from 0 to n: a tail
 * probability's score, looked up instead of taking two logarithms per feature and row.
 */
function tailTable(n: number, extra: number): Float64Array {
  const total = n + extra;
  return Float64Array.from({ length: n + 1 }, (_, c) => -Math.log((c + extra) / total));
}

/**
 * Row `i`'s score: the largest of the three tail sums; and, within that sum, the feature
 * contributing most.
 */
function setBestAggregate(
  tails: Float64Array,
  d: number,
  i: number,
  scores: Float64Array,
  feature: Int32Array,
) {
  let best = -Infinity;
  let bestFeature = 0;
  for (let a = 0; a < 3; a++) {
    let sum = 0;
    let top = a * d;
    for (let j = a * d; j < (a + 1) * d; j++) {
      sum += tails[j] ?? 0;
      if ((tails[j] ?? 0) > (tails[top] ?? 0)) top = j;
    }
    if (sum > best) {
      best = sum;
      bestFeature = top - a * d;
    }
  }
  scores[i] = best;
  feature[i] = bestFeature;
}

function withFlags(result: ScoreResult, threshold: number): ScoreResult {
  return { ...result, flags: flagAbove(result.scores, threshold) };
}

interface EcodFit {
  readonly model: EcodModel;
  readonly sampled: boolean;
  readonly train: ScoreResult;
  readonly threshold: number;
}

function fitWithScores(rows: Rows, o: EcodOptions): EcodFit {
  const sample = fitSample(rows, o.fitSampleSize, o.seed);
  const model = fitEcod(sample.rows);
  const train = ecodScores(model, sample.rows, true);
  const threshold = percentile(train.scores, 100 * (1 - o.contamination));
  return { model, sampled: sample.indices !== null, train, threshold };
}

/**
 * ECOD, parameter-free outlier detection from empirical CDFs (as PyOD). Scores: the
 * aggregated tail score; `extra.feature`: index of the feature contributing most.
 * Without sampling, `fitScore` equals PyOD's `fit` scores (each row counts itself).
 *
 * @example const { scores, extra } = ecod.fitScore(rows); // extra.feature[i] explains row i
 */
export const ecod = defineDetector<EcodOptions, FittedDetector & { readonly model: EcodModel }>(
  'ecod',
  ECOD_DEFAULTS,
  (sample, o) => {
    const { model, threshold } = fitWithScores(sample, { ...o, fitSampleSize: Infinity });
    return { method: 'ecod', model, score: (x) => withFlags(ecodScores(model, x, false), threshold) };
  },
  (rows, o) => {
    const { model, sampled, train, threshold } = fitWithScores(rows, o);
    return withFlags(sampled ? ecodScores(model, rows, false) : train, threshold);
  },
);
