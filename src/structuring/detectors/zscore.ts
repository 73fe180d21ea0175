import {
  defineDetector,
  flagAbove,
  type BaseOptions,
  type FittedDetector,
  type ScoreResult,
} from './detector.js';
import type { Rows } from './rows.js';
import { fitStandardisation } from './standardise.js';

/** z-score detector options. */
export interface ZScoreOptions extends BaseOptions {
  /** Flag when |z| exceeds this on any checked column. Default 3. */
  readonly threshold: number;
  /** Feature indices checked. Default [0, 1] (window count and sum). */
  readonly columns: readonly number[];
}

/** Defaults of {@link zScore}; means and stds use every row unless `fitSampleSize` is lowered. */
export const ZSCORE_DEFAULTS = {
  threshold: 3,
  columns: [0, 1],
  fitSampleSize: Number.POSITIVE_INFINITY,
  seed: 0,
} as const satisfies ZScoreOptions;

/** Largest |z| over `columns` for every row, and the column where it occurs. */
function maxAbsZ(x: Rows, columns: Int32Array, mean: Float64Array, scale: Float64Array): ScoreResult {
  const scores = new Float64Array(x.n);
  const feature = new Int32Array(x.n);
  for (let i = 0; i < x.n; i++) {
    for (const j of columns) {
      const z = Math.abs(((x.data[i * x.d + j] ?? 0) - (mean[j] ?? 0)) / (scale[j] ?? 1));
      if (z > (scores[i] ?? 0)) [scores[i], feature[i]] = [z, j];
    }
  }
  return { scores, flags: new Uint8Array(x.n), extra: { feature } };
}

/**
 * |z| > threshold on chosen columns (population std). Score: the largest |z| of the row;
 * `extra.feature`: the column where it occurs.
 *
 * @example zScore.fitScore(rows, { threshold: 4, columns: [0] })
 */
export const zScore = defineDetector<ZScoreOptions, FittedDetector>(
  'zscore',
  ZSCORE_DEFAULTS,
  (sample, o) => {
    const columns = Int32Array.from(o.columns);
    if (columns.some((j) => j < 0 || j >= sample.d))
      throw new RangeError(`columns must lie in 0..${sample.d - 1}`);
    const { mean, scale } = fitStandardisation(sample);
    return {
      method: 'zscore',
      score: (x) => {
        const result = maxAbsZ(x, columns, mean, scale);
        return { ...result, flags: flagAbove(result.scores, o.threshold) };
      },
    };
  },
);
