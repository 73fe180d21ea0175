/**
 * Registry of the structuring detectors. Every detector fits on a seeded sample of the
 * window features (`fitSampleSize`) and scores every row: higher score = more anomalous,
 * flag 1 = outlier. Options are merged over each detector's documented defaults.
 *
 * @example
 * const rows = standardise(rowsOf(features, 4));
 * const { scores, flags } = runDetector('iforest', rows, { contamination: 0.01 });
 */
import { dbscan, type DbscanOptions } from './dbscan.js';
import type { Detector, MethodName, ScoreResult } from './detector.js';
import { ecod, type EcodOptions } from './ecod.js';
import { gaussianMixture, type GmmOptions } from './gmm.js';
import { isolationForest, type IsolationForestOptions } from './iforest.js';
import { localOutlierFactor, type LofOptions } from './lof.js';
import type { Rows } from './rows.js';
import { thresholdRules, type RulesOptions } from './rules.js';
import { zScore, type ZScoreOptions } from './zscore.js';

export type {
  BaseOptions,
  Detector,
  FittedDetector,
  MethodName,
  ScoreExtra,
  ScoreResult,
} from './detector.js';
export { rowsFromArrays, rowsOf, takeRows, type Rows } from './rows.js';
export { fitStandardisation, standardise, type Standardisation } from './standardise.js';
export { mt19937, mulberry32, type Rng } from './random.js';
export type {
  DbscanOptions,
  EcodOptions,
  GmmOptions,
  IsolationForestOptions,
  LofOptions,
  RulesOptions,
  ZScoreOptions,
};

/** Options type of each method. */
export interface DetectorOptions {
  readonly rules: RulesOptions;
  readonly zscore: ZScoreOptions;
  readonly iforest: IsolationForestOptions;
  readonly lof: LofOptions;
  readonly dbscan: DbscanOptions;
  readonly gmm: GmmOptions;
  readonly ecod: EcodOptions;
}

/** Every detector by method name; `DETECTORS[m].defaults` documents its defaults. */
export const DETECTORS: { readonly [M in MethodName]: Detector<DetectorOptions[M]> } = {
  rules: thresholdRules,
  zscore: zScore,
  iforest: isolationForest,
  lof: localOutlierFactor,
  dbscan,
  gmm: gaussianMixture,
  ecod,
};

/** Method names in a stable order (cheap, transparent ones first). */
export const METHOD_NAMES: readonly MethodName[] = [
  'rules',
  'zscore',
  'iforest',
  'lof',
  'dbscan',
  'gmm',
  'ecod',
];

/** True when `name` is a known method. */
export function isMethodName(name: string): name is MethodName {
  return (METHOD_NAMES as readonly string[]).includes(name);
}

/** Fits `method` on a sample of `rows` and scores every row. */
export function runDetector<M extends MethodName>(
  method: M,
  rows: Rows,
  options: Partial<DetectorOptions[M]> = {},
): ScoreResult {
  const detector: Detector<DetectorOptions[M]> = DETECTORS[method];
  return detector.fitScore(rows, options);
}
