import { defineDetector, type BaseOptions, type FittedDetector, type ScoreResult } from './detector.js';
import { KdTree } from './neighbours.js';
import type { Rows } from './rows.js';
import { fitSample } from './sample.js';
import { pairwiseSum, percentile } from './stats.js';

/** Local Outlier Factor options. */
export interface LofOptions extends BaseOptions {
  /** Neighbours per point (capped at n − 1). Default 20. */
  readonly nNeighbors: number;
  /** Expected share of outliers, or 'auto' for sklearn's offset −1.5 (LOF > 1.5). Default 'auto'. */
  readonly contamination: number | 'auto';
}

/** Defaults of {@link localOutlierFactor}. */
export const LOF_DEFAULTS = {
  nNeighbors: 20,
  contamination: 'auto',
  fitSampleSize: 20_000,
  seed: 0,
} as const satisfies LofOptions;

/** What sklearn's `LocalOutlierFactor.fit` keeps, plus the neighbour index. */
export interface LofModel {
  readonly tree: KdTree;
  /** `n_neighbors_`. */
  readonly k: number;
  /** Distance of each training point to its k-th neighbour. */
  readonly kDistance: Float64Array;
  /** Local reachability density of each training point. */
  readonly lrd: Float64Array;
  /** `negative_outlier_factor_` of the training points (−LOF). */
  readonly negativeOutlierFactor: Float64Array;
  /** `offset_`: flag when negative outlier factor < offset. */
  readonly offset: number;
}

/** Neighbour lists of all training points, self excluded (n × k, row-major). */
interface Neighbourhoods {
  readonly dist: Float64Array;
  readonly index: Int32Array;
}

/** Fits LOF on `train` exactly as sklearn 1.2 (`fit` / `fit_predict`). */
export function fitLof(train: Rows, nNeighbors: number, contamination: number | 'auto'): LofModel {
  if (train.n < 2) throw new RangeError(`LOF needs at least 2 rows, got ${train.n}`);
  const k = Math.max(1, Math.min(nNeighbors, train.n - 1));
  const tree = new KdTree(train);
  const hood = trainingNeighbourhoods(tree, train, k);
  const kDistance = new Float64Array(train.n);
  for (let i = 0; i < train.n; i++) kDistance[i] = hood.dist[i * k + k - 1] ?? 0;
  const lrd = new Float64Array(train.n);
  const reach = new Float64Array(k);
  for (let i = 0; i < train.n; i++) {
    lrd[i] = reachabilityDensity(hood.dist, hood.index, i * k, k, kDistance, reach);
  }
  const negativeOutlierFactor = new Float64Array(train.n);
  for (let i = 0; i < train.n; i++) {
    negativeOutlierFactor[i] = -meanDensityRatio(hood.index, i * k, k, lrd, lrd[i] ?? 0, reach);
  }
  const offset = contamination === 'auto' ? -1.5 : percentile(negativeOutlierFactor, 100 * contamination);
  return { tree, k, kDistance, lrd, negativeOutlierFactor, offset };
}

/**
 * k + 1 nearest of each training point, minus the point itself; when duplicates push
 * the point out of its own list the first neighbour is dropped instead (sklearn's rule).
 */
function trainingNeighbourhoods(tree: KdTree, train: Rows, k: number): Neighbourhoods {
  const dist = new Float64Array(train.n * k);
  const index = new Int32Array(train.n * k);
  const qd = new Float64Array(k + 1);
  const qi = new Int32Array(k + 1);
  for (let i = 0; i < train.n; i++) {
    tree.knn(train.data, i * train.d, k + 1, qd, qi);
    const self = qi.indexOf(i);
    const skip = self < 0 || self > k ? 0 : self;
    for (let src = 0, dst = i * k; src <= k; src++) {
      if (src === skip) continue;
      dist[dst] = qd[src] ?? 0;
      index[dst++] = qi[src] ?? 0;
    }
  }
  return { dist, index };
}

/** lrd = 1 / (mean of max(d, k-distance of neighbour) + 1e-10); `reach` is scratch. */
function reachabilityDensity(
  dist: Float64Array,
  index: Int32Array,
  from: number,
  k: number,
  kDistance: Float64Array,
  reach: Float64Array,
): number {
  for (let j = 0; j < k; j++) {
    reach[j] = Math.max(dist[from + j] ?? 0, kDistance[index[from + j] ?? 0] ?? 0);
  }
  return 1 / (pairwiseSum(reach, 0, k) / k + 1e-10);
}

/** LOF: mean over neighbours of lrd(neighbour) / lrd(point). */
function meanDensityRatio(
  index: Int32Array,
  from: number,
  k: number,
  lrd: Float64Array,
  own: number,
  ratio: Float64Array,
): number {
  for (let j = 0; j < k; j++) ratio[j] = (lrd[index[from + j] ?? 0] ?? 0) / own;
  return pairwiseSum(ratio, 0, k) / k;
}

/**
 * LOF of new rows against the training points (sklearn's `score_samples` with
 * `novelty=True`, negated): the row is not its own neighbour.
 */
export function lofOfNewRows(model: LofModel, rows: Rows): Float64Array {
  const { k } = model;
  const scratch = new Float64Array(k);
  const out = new Float64Array(rows.n);
  model.tree.knnEach(rows, k, (i, dist, index) => {
    const own = reachabilityDensity(dist, index, 0, k, model.kDistance, scratch);
    out[i] = meanDensityRatio(index, 0, k, model.lrd, own, scratch);
  });
  return out;
}

function scoreResult(lof: Float64Array, offset: number): ScoreResult {
  const flags = new Uint8Array(lof.length);
  for (let i = 0; i < lof.length; i++) flags[i] = -(lof[i] ?? 0) < offset ? 1 : 0;
  return { scores: lof, flags };
}

function fitted(model: LofModel): FittedDetector & { readonly model: LofModel } {
  return { method: 'lof', model, score: (rows) => scoreResult(lofOfNewRows(model, rows), model.offset) };
}

function fitScore(rows: Rows, o: LofOptions): ScoreResult {
  const sample = fitSample(rows, o.fitSampleSize, o.seed);
  const model = fitLof(sample.rows, o.nNeighbors, o.contamination);
  const inSample = model.negativeOutlierFactor.map((v) => -v);
  if (!sample.indices) return scoreResult(inSample, model.offset);
  const lof = lofOfNewRows(model, rows);
  sample.indices.forEach((row, s) => {
    lof[row] = inSample[s] ?? 0;
  });
  return scoreResult(lof, model.offset);
}

/**
 * Local Outlier Factor (Breunig et al. 2000) as sklearn 1.2: scores are LOF
 * (= −negative_outlier_factor_), flags are sklearn's `fit_predict` outliers.
 *
 * @example
 * const { scores, flags } = localOutlierFactor.fitScore(rows, { nNeighbors: 20 });
 */
export const localOutlierFactor = defineDetector<LofOptions, FittedDetector & { readonly model: LofModel }>(
  'lof',
  LOF_DEFAULTS,
  (sample, o) => fitted(fitLof(sample, o.nNeighbors, o.contamination)),
  fitScore,
);
