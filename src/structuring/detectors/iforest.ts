import { defineDetector, type BaseOptions, type FittedDetector, type ScoreResult } from './detector.js';
import { growForest } from './iforest-grow.js';
import { scoreSamples, type IsolationForestModel } from './iforest-forest.js';
import { mulberry32 } from './random.js';
import type { Rows } from './rows.js';
import { percentile } from './stats.js';

export { averagePathLength, scoreSamples, treeFromExport } from './iforest-forest.js';
export type { ExportedTree, IsolationForestModel, IsolationTree } from './iforest-forest.js';

/** Isolation Forest options. */
export interface IsolationForestOptions extends BaseOptions {
  /** Number of trees. Default 100. */
  readonly nEstimators: number;
  /** Subsample size ψ per tree (capped at the number of rows). Default 256. */
  readonly maxSamples: number;
  /**
   * Expected share of outliers, or 'auto' for sklearn's fixed offset −0.5 (flag when
   * 2^(−E[h]/c(ψ)) > 0.5). Default 'auto'.
   */
  readonly contamination: number | 'auto';
}

/** Defaults of {@link isolationForest}. */
export const ISOLATION_FOREST_DEFAULTS = {
  nEstimators: 100,
  maxSamples: 256,
  contamination: 'auto',
  fitSampleSize: 100_000,
  seed: 0,
} as const satisfies IsolationForestOptions;

/** A fitted forest with sklearn's `offset_`. */
export interface FittedIsolationForest extends FittedDetector {
  readonly model: IsolationForestModel;
  readonly offset: number;
}

/**
 * sklearn's `offset_`: −0.5 for 'auto', else the `contamination` percentile of the
 * training `score_samples`.
 */
export function isolationOffset(trainScores: Float64Array, contamination: number | 'auto'): number {
  return contamination === 'auto' ? -0.5 : percentile(trainScores, 100 * contamination);
}

/** `decision_function` = score_samples − offset; negative means outlier. */
export function decisionFunction(scores: Float64Array, offset: number): Float64Array {
  return scores.map((s) => s - offset);
}

/** Wraps a model and offset as a detector; scores are −score_samples (higher = more isolated). */
export function fittedIsolationForest(model: IsolationForestModel, offset: number): FittedIsolationForest {
  return {
    method: 'iforest',
    model,
    offset,
    score(rows: Rows): ScoreResult {
      const samples = scoreSamples(model, rows);
      const scores = new Float64Array(rows.n);
      const flags = new Uint8Array(rows.n);
      for (let i = 0; i < rows.n; i++) {
        const s = samples[i] ?? 0;
        scores[i] = -s;
        flags[i] = s - offset < 0 ? 1 : 0;
      }
      return { scores, flags };
    },
  };
}

/**
 * Isolation Forest (Liu et al. 2008) as sklearn 1.2 computes it.
 *
 * @example
 * const { scores, flags } = isolationForest.fitScore(rows, { contamination: 0.01 });
 */
export const isolationForest = defineDetector<IsolationForestOptions, FittedIsolationForest>(
  'iforest',
  ISOLATION_FOREST_DEFAULTS,
  (sample, o) => {
    const trees = growForest(sample, o.nEstimators, o.maxSamples, mulberry32(o.seed));
    const model: IsolationForestModel = { trees, maxSamples: Math.min(o.maxSamples, sample.n) };
    const offset =
      o.contamination === 'auto' ? -0.5 : isolationOffset(scoreSamples(model, sample), o.contamination);
    return fittedIsolationForest(model, offset);
  },
);
