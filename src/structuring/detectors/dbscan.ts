import { defineDetector, type BaseOptions, type FittedDetector, type ScoreResult } from './detector.js';
import { KdTree } from './neighbours.js';
import { takeRows, type Rows } from './rows.js';
import { fitSample } from './sample.js';

export { fitStandardisation, standardise, type Standardisation } from './standardise.js';

/** DBSCAN options. Fitted on a sample, densities are those of the sample: scale `minSamples` with it. */
export interface DbscanOptions extends BaseOptions {
  /** Neighbourhood radius (Euclidean, inclusive). Default 0.5 (for standardised features). */
  readonly eps: number;
  /** Points within `eps`, the point itself included, that make a core point. Default 5. */
  readonly minSamples: number;
}

/** Defaults of {@link dbscan}. */
export const DBSCAN_DEFAULTS = {
  eps: 0.5,
  minSamples: 5,
  fitSampleSize: 20_000,
  seed: 0,
} as const satisfies DbscanOptions;

/** A DBSCAN clustering plus an index of its core points to label other rows. */
export interface DbscanModel {
  readonly eps: number;
  /** `labels_` of the fitted rows: cluster number, −1 for noise. */
  readonly labels: Int32Array;
  /** `core_sample_indices_`, increasing. */
  readonly coreSampleIndices: Int32Array;
  readonly coreTree: KdTree | null;
}

/** Clusters `train` exactly as sklearn's `DBSCAN(eps, min_samples).fit`. */
export function fitDbscan(train: Rows, eps: number, minSamples: number): DbscanModel {
  const tree = new KdTree(train);
  const core = new Uint8Array(train.n);
  for (let i = 0; i < train.n; i++) {
    core[i] = tree.countWithin(train.data, i * train.d, eps, minSamples) >= minSamples ? 1 : 0;
  }
  const labels = expandClusters(tree, train, eps, core);
  const coreSampleIndices = Int32Array.from(core.keys()).filter((i) => core[i] === 1);
  const coreTree = coreSampleIndices.length > 0 ? new KdTree(takeRows(train, coreSampleIndices)) : null;
  return { eps, labels, coreSampleIndices, coreTree };
}

/**
 * sklearn's `dbscan_inner`: clusters grow from core points in index order, so a border
 * point reachable from two clusters joins the one whose lowest core index comes first.
 * Points are labelled when pushed, which yields the same labels without duplicates.
 */
function expandClusters(tree: KdTree, train: Rows, eps: number, core: Uint8Array): Int32Array {
  const labels = new Int32Array(train.n).fill(-1);
  const stack: number[] = [];
  let label = 0;
  const visit = (j: number): boolean => {
    if (labels[j] === -1) {
      labels[j] = label;
      if (core[j]) stack.push(j);
    }
    return false;
  };
  for (let i = 0; i < train.n; i++) {
    if (labels[i] !== -1 || !core[i]) continue;
    visit(i);
    for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
      tree.forEachWithin(train.data, p * train.d, eps, visit);
    }
    label++;
  }
  return labels;
}

/** Nearest core point of each row: label when within eps (else −1) and distance / eps. */
export function labelByNearestCore(
  model: DbscanModel,
  rows: Rows,
): { labels: Int32Array; scores: Float64Array } {
  const labels = new Int32Array(rows.n).fill(-1);
  const scores = new Float64Array(rows.n).fill(Infinity);
  model.coreTree?.knnEach(rows, 1, (i, dist, index) => {
    const d = dist[0] ?? Infinity;
    scores[i] = d / model.eps;
    if (d <= model.eps) labels[i] = model.labels[model.coreSampleIndices[index[0] ?? 0] ?? 0] ?? -1;
  });
  return { labels, scores };
}

function scoreResult(labels: Int32Array, scores: Float64Array): ScoreResult {
  const flags = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) flags[i] = labels[i] === -1 ? 1 : 0;
  return { scores, flags, extra: { labels } };
}

function fitted(model: DbscanModel): FittedDetector & { readonly model: DbscanModel } {
  return {
    method: 'dbscan',
    model,
    score: (rows) => {
      const { labels, scores } = labelByNearestCore(model, rows);
      return scoreResult(labels, scores);
    },
  };
}

function fitScore(rows: Rows, o: DbscanOptions): ScoreResult {
  const sample = fitSample(rows, o.fitSampleSize, o.seed);
  const model = fitDbscan(sample.rows, o.eps, o.minSamples);
  const { labels, scores } = labelByNearestCore(model, rows);
  // Rows of the sample keep the clustering's own labels (a border point may sit nearer a
  // core point of another cluster than of the one that reached it first).
  const fittedRows = sample.indices ?? Int32Array.from(model.labels.keys());
  fittedRows.forEach((row, s) => {
    labels[row] = model.labels[s] ?? -1;
  });
  return scoreResult(labels, scores);
}

/**
 * DBSCAN (Ester et al. 1996) as sklearn 1.2. Scores are the distance to the nearest core
 * point in units of eps (> 1 for noise); flags mark noise; `extra.labels` has clusters.
 * Rows outside the fitted sample join the cluster of their nearest core point within eps.
 */
export const dbscan = defineDetector<DbscanOptions, FittedDetector & { readonly model: DbscanModel }>(
  'dbscan',
  DBSCAN_DEFAULTS,
  (sample, o) => fitted(fitDbscan(sample, o.eps, o.minSamples)),
  fitScore,
);
