import type { MixtureParams, MixtureScorer } from './gmm-params.js';
import type { Rows } from './rows.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** Lower Cholesky factor L of the d × d matrix at `a[offset..]`; throws when not positive definite. */
function cholesky(a: Float64Array, offset: number, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[offset + i * d + j] ?? 0;
      for (let m = 0; m < j; m++) sum -= (l[i * d + m] ?? 0) * (l[j * d + m] ?? 0);
      if (i === j && !(sum > 0)) {
        throw new RangeError('ill-defined empirical covariance: increase regCovar or scale the features');
      }
      l[i * d + j] = i === j ? Math.sqrt(sum) : sum / (l[j * d + j] ?? 1);
    }
  }
  return l;
}

/** P = (L⁻¹)ᵀ, upper triangular, by forward substitution on the columns of I. */
function precisionFromCholesky(l: Float64Array, d: number, out: Float64Array, at: number): void {
  for (let col = 0; col < d; col++) {
    for (let i = col; i < d; i++) {
      let sum = i === col ? 1 : 0;
      for (let m = col; m < i; m++) sum -= (l[i * d + m] ?? 0) * (out[at + col * d + m] ?? 0);
      // Row `col` of P is column `col` of L⁻¹.
      out[at + col * d + i] = sum / (l[i * d + i] ?? 1);
    }
  }
}

/** Fills the per-component d × d precision Cholesky factor of any covariance type. */
function precisionCholesky(p: MixtureParams): Float64Array {
  const { k, d, type, covariances } = p;
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const at = c * d * d;
    if (type === 'full' || type === 'tied') {
      const offset = type === 'full' ? at : 0;
      precisionFromCholesky(cholesky(covariances, offset, d), d, out, at);
      continue;
    }
    for (let j = 0; j < d; j++) {
      const variance = covariances[type === 'diag' ? c * d + j : c] ?? 0;
      if (!(variance > 0)) throw new RangeError('ill-defined empirical variance: increase regCovar');
      out[at + j * d + j] = 1 / Math.sqrt(variance);
    }
  }
  return out;
}

/** Precomputes what scoring a row needs. */
export function mixtureScorer(p: MixtureParams): MixtureScorer {
  const { k, d } = p;
  const prec = precisionCholesky(p);
  const meanTimesPrecision = new Float64Array(k * d);
  const logDet = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      let sum = 0;
      for (let i = 0; i <= j; i++) sum += (p.means[c * d + i] ?? 0) * (prec[c * d * d + i * d + j] ?? 0);
      meanTimesPrecision[c * d + j] = sum;
      logDet[c] = (logDet[c] ?? 0) + Math.log(prec[c * d * d + j * d + j] ?? 1);
    }
  }
  const logWeights = p.weights.map(Math.log);
  return { ...p, precisionCholesky: prec, meanTimesPrecision, logDet, logWeights };
}

/**
 * log(w_c) + log N(x | μ_c, Σ_c) for every component into `out` (length k); returns
 * log Σ_c exp(out_c), i.e. the row's log-likelihood (sklearn's `score_samples`).
 */
export function weightedLogProb(
  s: MixtureScorer,
  data: Float64Array,
  offset: number,
  out: Float64Array,
): number {
  const { k, d } = s;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    let squares = 0;
    for (let j = 0; j < d; j++) {
      // y = xP − μP, as sklearn computes it.
      let y = 0;
      for (let i = 0; i <= j; i++)
        y += (data[offset + i] ?? 0) * (s.precisionCholesky[c * d * d + i * d + j] ?? 0);
      y -= s.meanTimesPrecision[c * d + j] ?? 0;
      squares += y * y;
    }
    const value = -0.5 * (d * LOG_2PI + squares) + (s.logDet[c] ?? 0) + (s.logWeights[c] ?? 0);
    out[c] = value;
    if (value > max) max = value;
  }
  return logSumExp(out, k, max);
}

/** log Σ exp(values[0..k)), shifted by their maximum `max` so nothing overflows. */
function logSumExp(values: Float64Array, k: number, max: number): number {
  if (max === -Infinity) return max;
  let sum = 0;
  for (let c = 0; c < k; c++) sum += Math.exp((values[c] ?? 0) - max);
  return Math.log(sum) + max;
}

/** Log-likelihood of every row and its most likely component. */
export function scoreMixture(
  s: MixtureScorer,
  rows: Rows,
): { logLikelihood: Float64Array; labels: Int32Array } {
  const logLikelihood = new Float64Array(rows.n);
  const labels = new Int32Array(rows.n);
  const scratch = new Float64Array(s.k);
  for (let i = 0; i < rows.n; i++) {
    logLikelihood[i] = weightedLogProb(s, rows.data, i * rows.d, scratch);
    let best = 0;
    for (let c = 1; c < s.k; c++) if ((scratch[c] ?? 0) > (scratch[best] ?? 0)) best = c;
    labels[i] = best;
  }
  return { logLikelihood, labels };
}
