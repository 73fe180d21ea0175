/**
 * Test support: loads the scikit-learn 1.2 reference outputs, a copy of
 * shared/data/sklearn-parity/fixtures.json kept in test/fixtures/sklearn-parity (with the
 * script that made it), or the file named by `CENTINELA_SKLEARN_PARITY`.
 */
import { readFileSync } from 'node:fs';
import type { ExportedTree } from './iforest-forest.js';
import { rowsFromArrays, type Rows } from './rows.js';

type Vector = readonly number[];
type Matrix = readonly Vector[];

/** One GaussianMixture reference: parameters after EM, scores and labels. */
export interface GmmReference {
  readonly means_init: Matrix;
  readonly weights_: Vector;
  readonly means_: Matrix;
  /** full: k×d×d, tied: d×d, diag: k×d, spherical: k. */
  readonly covariances_: readonly (number | Vector | Matrix)[];
  readonly n_iter_: number;
  readonly converged_: boolean;
  readonly lower_bound_: number;
  readonly score_samples: Vector;
  readonly predict: Vector;
}

/** Shape of fixtures.json. */
export interface SklearnFixture {
  readonly X: Matrix;
  readonly X_scaled: Matrix;
  readonly iforest: {
    readonly max_samples_: number;
    readonly offset_: number;
    readonly trees: readonly ExportedTree[];
    readonly score_samples: Vector;
    readonly decision_function: Vector;
    readonly predict: Vector;
  };
  readonly lof: {
    readonly n_neighbors_: number;
    readonly offset_: number;
    readonly negative_outlier_factor_: Vector;
    readonly fit_predict: Vector;
  };
  readonly dbscan: {
    readonly eps: number;
    readonly min_samples: number;
    readonly labels_: Vector;
    readonly core_sample_indices_: Vector;
  };
  readonly gmm_full: GmmReference;
  readonly gmm_diag: GmmReference;
  readonly gmm_spherical: GmmReference;
  readonly gmm_tied: GmmReference;
}

const FIXTURE_URL =
  process.env['CENTINELA_SKLEARN_PARITY'] ??
  new URL('../../../test/fixtures/sklearn-parity/fixtures.json', import.meta.url);

let cached: SklearnFixture | undefined;

/** The parsed fixture (read once per test file). */
export function loadFixture(): SklearnFixture {
  cached ??= JSON.parse(readFileSync(FIXTURE_URL, 'utf8')) as SklearnFixture;
  return cached;
}

/** The standardised input rows the reference models were fitted on. */
export function scaledRows(): Rows {
  return rowsFromArrays(loadFixture().X_scaled);
}

/** Largest |actual[i] − expected[i]|; Infinity when lengths differ. */
export function maxAbsError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    worst = Math.max(worst, Math.abs((actual[i] ?? NaN) - (expected[i] ?? NaN)));
  }
  return Number.isNaN(worst) ? Infinity : worst;
}
