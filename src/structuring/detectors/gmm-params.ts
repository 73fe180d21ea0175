import type { Rows } from './rows.js';

/** Covariance structure of a Gaussian mixture, as sklearn's `covariance_type`. */
export type CovarianceType = 'full' | 'diag' | 'spherical' | 'tied';

/** Mixture parameters; `covariances` has sklearn's shape for the type, flattened. */
export interface MixtureParams {
  readonly type: CovarianceType;
  readonly k: number;
  readonly d: number;
  readonly weights: Float64Array;
  /** k × d. */
  readonly means: Float64Array;
  /** full: k × d × d; tied: d × d; diag: k × d; spherical: k. */
  readonly covariances: Float64Array;
}

/**
 * Parameters ready for scoring: per component the upper-triangular precision Cholesky
 * factor P (Σ⁻¹ = P Pᵀ, expanded to d × d for every type), μP and log |P|.
 */
export interface MixtureScorer extends MixtureParams {
  readonly precisionCholesky: Float64Array;
  readonly meanTimesPrecision: Float64Array;
  readonly logDet: Float64Array;
  readonly logWeights: Float64Array;
}

const EPS = 2.220446049250313e-16;

/** Component sizes (+10 eps, as sklearn, so empty components do not divide by zero) and means. */
function sizesAndMeans(x: Rows, resp: Float64Array, k: number): { nk: Float64Array; means: Float64Array } {
  const { n, d, data } = x;
  const nk = new Float64Array(k);
  const sums = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c] ?? 0;
      nk[c] = (nk[c] ?? 0) + r;
      for (let j = 0; j < d; j++) sums[c * d + j] = (sums[c * d + j] ?? 0) + r * (data[i * d + j] ?? 0);
    }
  }
  for (let c = 0; c < k; c++) nk[c] = (nk[c] ?? 0) + 10 * EPS;
  const means = sums.map((s, p) => s / (nk[Math.floor(p / d)] ?? 1));
  return { nk, means };
}

/**
 * sklearn's `_estimate_gaussian_parameters`: weights are the (unnormalised) sizes, and
 * `regCovar` is added to every variance so components never collapse to a point.
 */
export function estimateParams(
  x: Rows,
  resp: Float64Array,
  k: number,
  type: CovarianceType,
  regCovar: number,
): MixtureParams {
  const { nk, means } = sizesAndMeans(x, resp, k);
  const covariances = COVARIANCE[type](x, resp, nk, means, regCovar);
  return { type, k, d: x.d, weights: nk, means, covariances };
}

type CovarianceEstimate = (
  x: Rows,
  resp: Float64Array,
  nk: Float64Array,
  means: Float64Array,
  reg: number,
) => Float64Array;

/** Weighted scatter Σᵢ wᵢ (xᵢ − μ_c)(xᵢ − μ_c)ᵀ, d × d (μ = 0 when `center` is null). */
function scatter(
  x: Rows,
  weight: (i: number) => number,
  center: Float64Array | null,
  c: number,
): Float64Array {
  const { n, d, data } = x;
  const out = new Float64Array(d * d);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const w = weight(i);
    for (let a = 0; a < d; a++) diff[a] = (data[i * d + a] ?? 0) - (center?.[c * d + a] ?? 0);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++)
        out[a * d + b] = (out[a * d + b] ?? 0) + w * (diff[a] ?? 0) * (diff[b] ?? 0);
    }
  }
  return out;
}

const full: CovarianceEstimate = (x, resp, nk, means, reg) => {
  const { d } = x;
  const k = nk.length;
  const out = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const s = scatter(x, (i) => resp[i * k + c] ?? 0, means, c);
    for (let p = 0; p < d * d; p++)
      out[c * d * d + p] = (s[p] ?? 0) / (nk[c] ?? 1) + (p % (d + 1) === 0 ? reg : 0);
  }
  return out;
};

const tied: CovarianceEstimate = (x, _resp, nk, means, reg) => {
  const { d } = x;
  const out = scatter(x, () => 1, null, 0);
  const total = nk.reduce((a, b) => a + b, 0);
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < d; b++) {
      let meanPart = 0;
      for (let c = 0; c < nk.length; c++)
        meanPart += (nk[c] ?? 0) * (means[c * d + a] ?? 0) * (means[c * d + b] ?? 0);
      out[a * d + b] = ((out[a * d + b] ?? 0) - meanPart) / total + (a === b ? reg : 0);
    }
  }
  return out;
};

/** E[x²] − 2 μ E[x] + μ² per component and feature, the way sklearn computes it. */
const diag: CovarianceEstimate = (x, resp, nk, means, reg) => {
  const { n, d, data } = x;
  const k = nk.length;
  const sx = new Float64Array(k * d);
  const sxx = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c] ?? 0;
      for (let j = 0; j < d; j++) {
        const v = data[i * d + j] ?? 0;
        sx[c * d + j] = (sx[c * d + j] ?? 0) + r * v;
        sxx[c * d + j] = (sxx[c * d + j] ?? 0) + r * v * v;
      }
    }
  }
  return sxx.map((s, p) => {
    const size = nk[Math.floor(p / d)] ?? 1;
    const mu = means[p] ?? 0;
    return s / size - 2 * ((mu * (sx[p] ?? 0)) / size) + mu * mu + reg;
  });
};

const spherical: CovarianceEstimate = (x, resp, nk, means, reg) => {
  const perFeature = diag(x, resp, nk, means, reg);
  const { d } = x;
  return Float64Array.from(
    nk,
    (_, c) => perFeature.subarray(c * d, (c + 1) * d).reduce((a, b) => a + b, 0) / d,
  );
};

const COVARIANCE: Readonly<Record<CovarianceType, CovarianceEstimate>> = { full, tied, diag, spherical };
