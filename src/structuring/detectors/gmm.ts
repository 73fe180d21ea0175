import {
  defineDetector,
  flagAbove,
  type BaseOptions,
  type FittedDetector,
  type ScoreResult,
} from './detector.js';
import { estimateParams, type CovarianceType, type MixtureParams, type MixtureScorer } from './gmm-params.js';
import { mixtureScorer, scoreMixture, weightedLogProb } from './gmm-score.js';
import { kmeans } from './kmeans.js';
import { mt19937, mulberry32 } from './random.js';
import type { Rows } from './rows.js';
import { percentile } from './stats.js';

export type { CovarianceType, MixtureParams } from './gmm-params.js';

/** Gaussian mixture options (sklearn's names in camelCase). */
export interface GmmOptions extends BaseOptions {
  /** Number of components. Default 3. */
  readonly nComponents: number;
  /** Default 'full'. */
  readonly covarianceType: CovarianceType;
  /** Added to the covariance diagonal. Default 1e-6. */
  readonly regCovar: number;
  /** Stop when the mean log-likelihood bound changes by less than this. Default 1e-3. */
  readonly tol: number;
  /** Default 100. */
  readonly maxIter: number;
  /** Initial means (k rows of d); covariances still come from k-means, as in sklearn. Default null. */
  readonly meansInit: readonly (readonly number[])[] | null;
  /** Initial weights (k, summing to 1). Default null: k-means cluster shares. */
  readonly weightsInit: readonly number[] | null;
  /**
   * Generator of the k-means++ seeding: 'mt19937' replays numpy's `RandomState(seed)`,
   * giving sklearn's result for `random_state=seed`. Default 'mulberry32'.
   */
  readonly rng: 'mulberry32' | 'mt19937';
  /** Share of the fitted rows with the lowest likelihood that is flagged. Default 0.01. */
  readonly contamination: number;
}

/** Defaults of {@link gaussianMixture}. */
export const GMM_DEFAULTS = {
  nComponents: 3,
  covarianceType: 'full',
  regCovar: 1e-6,
  tol: 1e-3,
  maxIter: 100,
  meansInit: null,
  weightsInit: null,
  rng: 'mulberry32',
  contamination: 0.01,
  fitSampleSize: 50_000,
  seed: 0,
} as const satisfies GmmOptions;

/** A fitted mixture, with sklearn's `n_iter_`, `converged_` and `lower_bound_`. */
export interface GmmModel extends MixtureParams {
  readonly nIter: number;
  readonly converged: boolean;
  readonly lowerBound: number;
  /** Log-likelihood under which a row is flagged. */
  readonly threshold: number;
}

/** sklearn's `_initialize_parameters` with init_params='kmeans' plus means/weights overrides. */
function initialParams(x: Rows, o: GmmOptions): MixtureParams {
  const k = o.nComponents;
  const rng = o.rng === 'mt19937' ? mt19937(o.seed) : mulberry32(o.seed);
  const { labels } = kmeans(x, k, rng);
  const resp = new Float64Array(x.n * k);
  labels.forEach((label, i) => {
    resp[i * k + label] = 1;
  });
  const params = estimateParams(x, resp, k, o.covarianceType, o.regCovar);
  return {
    ...params,
    weights: o.weightsInit ? Float64Array.from(o.weightsInit) : params.weights.map((w) => w / x.n),
    means: o.meansInit ? Float64Array.from(o.meansInit.flat()) : params.means,
  };
}

/** E-step: fills `resp` with responsibilities; returns the mean log-likelihood. */
function expectation(s: MixtureScorer, x: Rows, resp: Float64Array): number {
  const { k } = s;
  const scratch = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < x.n; i++) {
    const norm = weightedLogProb(s, x.data, i * x.d, scratch);
    total += norm;
    for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp((scratch[c] ?? 0) - norm);
  }
  return total / x.n;
}

function maximisation(x: Rows, resp: Float64Array, o: GmmOptions): MixtureParams {
  const params = estimateParams(x, resp, o.nComponents, o.covarianceType, o.regCovar);
  const total = params.weights.reduce((a, b) => a + b, 0);
  return { ...params, weights: params.weights.map((w) => w / total) };
}

/** Fits a Gaussian mixture by EM exactly as sklearn 1.2's `GaussianMixture.fit` (n_init 1). */
export function fitGmm(x: Rows, options: Partial<GmmOptions> = {}): GmmModel {
  const o: GmmOptions = { ...GMM_DEFAULTS, ...options };
  if (x.n < o.nComponents) throw new RangeError(`need at least ${o.nComponents} rows, got ${x.n}`);
  let params = initialParams(x, o);
  const resp = new Float64Array(x.n * o.nComponents);
  let lowerBound = -Infinity;
  let nIter = 0;
  let converged = false;
  while (nIter < o.maxIter && !converged) {
    nIter++;
    const previous = lowerBound;
    lowerBound = expectation(mixtureScorer(params), x, resp);
    params = maximisation(x, resp, o);
    converged = Math.abs(lowerBound - previous) < o.tol;
  }
  const { logLikelihood } = scoreMixture(mixtureScorer(params), x);
  const threshold = percentile(logLikelihood, 100 * o.contamination);
  return { ...params, nIter, converged, lowerBound, threshold };
}

/** sklearn's `score_samples` (log-likelihood per row) and `predict` (component per row). */
export function gmmScoreSamples(
  model: MixtureParams,
  rows: Rows,
): { logLikelihood: Float64Array; labels: Int32Array } {
  return scoreMixture(mixtureScorer(model), rows);
}

function fitted(model: GmmModel): FittedDetector & { readonly model: GmmModel } {
  return {
    method: 'gmm',
    model,
    score(rows: Rows): ScoreResult {
      const { logLikelihood, labels } = gmmScoreSamples(model, rows);
      const scores = new Float64Array(logLikelihood.length);
      for (let i = 0; i < scores.length; i++) scores[i] = -(logLikelihood[i] ?? 0);
      // −l > −threshold exactly when l < threshold (negation is exact).
      return { scores, flags: flagAbove(scores, -model.threshold), extra: { labels } };
    },
  };
}

/**
 * Gaussian mixture detector: scores are negative log-likelihoods, flags mark the
 * `contamination` share of least likely fitted rows; `extra.labels` holds components.
 *
 * @example
 * const { scores, flags } = gaussianMixture.fitScore(standardise(rows), { nComponents: 4 });
 */
export const gaussianMixture = defineDetector<GmmOptions, FittedDetector & { readonly model: GmmModel }>(
  'gmm',
  GMM_DEFAULTS,
  (sample, o) => fitted(fitGmm(sample, o)),
);
