import type { Rows } from './rows.js';

/** Per-feature location and scale, as sklearn's `StandardScaler` (`mean_`, `scale_`). */
export interface Standardisation {
  readonly mean: Float64Array;
  /** Population standard deviation (ddof 0); 1 for constant features so they map to 0. */
  readonly scale: Float64Array;
}

/** Column means and population standard deviations (two passes, for accuracy). */
export function fitStandardisation(rows: Rows): Standardisation {
  const { n, d, data } = rows;
  const mean = new Float64Array(d);
  const sq = new Float64Array(d);
  for (let p = 0; p < n * d; p++) mean[p % d] = (mean[p % d] ?? 0) + (data[p] ?? 0);
  for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) / n;
  for (let p = 0; p < n * d; p++) {
    const dev = (data[p] ?? 0) - (mean[p % d] ?? 0);
    sq[p % d] = (sq[p % d] ?? 0) + dev * dev;
  }
  const scale = sq.map((s) => Math.sqrt(s / n) || 1);
  return { mean, scale };
}

/**
 * z-scores every feature: (x − mean) / std with the population std, like sklearn's
 * `StandardScaler().fit_transform`. Pass a fitted {@link Standardisation} to apply the
 * scaling of a sample to other rows.
 *
 * @example const scaled = standardise(rows); // then dbscan.fitScore(scaled, { eps: 0.5 })
 */
export function standardise(rows: Rows, by: Standardisation = fitStandardisation(rows)): Rows {
  const { n, d } = rows;
  const data = new Float64Array(n * d);
  for (let p = 0; p < n * d; p++) {
    data[p] = ((rows.data[p] ?? 0) - (by.mean[p % d] ?? 0)) / (by.scale[p % d] ?? 1);
  }
  return { data, n, d };
}
