import type { Rows } from './rows.js';
import { fitSample } from './sample.js';

/** Names of the structuring detectors, as used by the registry and in run configs. */
export type MethodName = 'rules' | 'zscore' | 'iforest' | 'lof' | 'dbscan' | 'gmm' | 'ecod';

/** Per-row extras a detector may add (cluster labels, contributing feature, ...). */
export type ScoreExtra = Readonly<Record<string, Float64Array | Int32Array | Uint8Array>>;

/**
 * Output of scoring `n` rows: one score and one flag per row. Across detectors a
 * higher score means more anomalous; `flags[i]` is 1 when row `i` is an outlier.
 */
export interface ScoreResult {
  readonly scores: Float64Array;
  readonly flags: Uint8Array;
  readonly extra?: ScoreExtra;
}

/** Options every detector understands. */
export interface BaseOptions {
  /** Rows the model is fitted on at most; larger inputs are sampled (seeded). */
  readonly fitSampleSize: number;
  /** Seed of the detector's random generator. */
  readonly seed: number;
}

/** A model fitted on a sample; scores any rows with the same features. */
export interface FittedDetector {
  readonly method: MethodName;
  /** Scores `rows` as new data (for LOF and DBSCAN: not as the points fitted on). */
  score(rows: Rows): ScoreResult;
}

/** A detector: fits on a (sampled) set of rows, then scores rows. `F` is what `fit` returns. */
export interface Detector<O extends BaseOptions = BaseOptions, F extends FittedDetector = FittedDetector> {
  readonly method: MethodName;
  /** Documented defaults; options passed to `fit` are merged over them. */
  readonly defaults: Readonly<O>;
  fit(rows: Rows, options?: Partial<O>): F;
  /**
   * Fits on a seeded sample of `rows` and scores every row of `rows`. Rows that were
   * in the sample keep their in-sample result (as sklearn's `fit_predict`).
   */
  fitScore(rows: Rows, options?: Partial<O>): ScoreResult;
}

/** Builds the flag vector `scores[i] > threshold`. */
export function flagAbove(scores: Float64Array, threshold: number): Uint8Array {
  const flags = new Uint8Array(scores.length);
  for (let i = 0; i < scores.length; i++) flags[i] = (scores[i] ?? 0) > threshold ? 1 : 0;
  return flags;
}

/**
 * Builds a {@link Detector} from its defaults and a function fitting the sampled rows:
 * `fit` merges options over the defaults and draws the seeded fit sample; `fitScore`
 * defaults to fitting, then scoring every row.
 */
export function defineDetector<O extends BaseOptions, F extends FittedDetector>(
  method: MethodName,
  defaults: Readonly<O>,
  fitSampled: (sample: Rows, options: O) => F,
  fitScore?: (rows: Rows, options: O) => ScoreResult,
): Detector<O, F> {
  const merge = (options: Partial<O> = {}): O => ({ ...defaults, ...options });
  const fit = (rows: Rows, options?: Partial<O>): F => {
    const o = merge(options);
    return fitSampled(fitSample(rows, o.fitSampleSize, o.seed).rows, o);
  };
  return {
    method,
    defaults,
    fit,
    fitScore: (rows, options) => (fitScore ? fitScore(rows, merge(options)) : fit(rows, options).score(rows)),
  };
}
