import { describe, expect, it } from 'vitest';
import { fitGmm, gaussianMixture, gmmScoreSamples, type CovarianceType } from './gmm.js';
import { loadFixture, maxAbsError, scaledRows, type GmmReference } from './sklearn-fixture.js';

const fixture = loadFixture();
const rows = scaledRows();
const TYPES: readonly CovarianceType[] = ['full', 'diag', 'spherical', 'tied'];

function referenceOf(type: CovarianceType): GmmReference {
  return fixture[`gmm_${type}`];
}

describe.each(TYPES)('gaussian mixture (%s): sklearn parity', (type) => {
  const reference = referenceOf(type);
  const model = fitGmm(rows, {
    covarianceType: type,
    nComponents: reference.means_init.length,
    meansInit: reference.means_init,
    weightsInit: reference.means_init.map(() => 1 / reference.means_init.length),
    rng: 'mt19937',
    seed: 0,
  });

  it('reproduces n_iter_, converged_ and lower_bound_', () => {
    expect(model.nIter).toBe(reference.n_iter_);
    expect(model.converged).toBe(reference.converged_);
    expect(Math.abs(model.lowerBound - reference.lower_bound_)).toBeLessThan(1e-6);
  });

  it('reproduces weights_, means_ and covariances_', () => {
    expect(maxAbsError(model.weights, reference.weights_)).toBeLessThan(1e-6);
    expect(maxAbsError(model.means, reference.means_.flat())).toBeLessThan(1e-6);
    expect(maxAbsError(model.covariances, reference.covariances_.flat(2))).toBeLessThan(1e-6);
  });

  it('reproduces score_samples and predict', () => {
    const { logLikelihood, labels } = gmmScoreSamples(model, rows);
    expect(maxAbsError(logLikelihood, reference.score_samples)).toBeLessThan(1e-6);
    expect(Array.from(labels)).toEqual(reference.predict);
  });
});

describe('gaussian mixture detector', () => {
  it('is deterministic with its default seeded k-means initialisation', () => {
    const a = gaussianMixture.fitScore(rows, { seed: 4 });
    const b = gaussianMixture.fitScore(rows, { seed: 4 });
    expect(a.scores).toEqual(b.scores);
  });

  it('flags the contamination share of least likely rows', () => {
    const { flags, scores } = gaussianMixture.fitScore(rows, { covarianceType: 'diag', contamination: 0.02 });
    const flagged = scores.filter((_, i) => flags[i] === 1);
    const kept = scores.filter((_, i) => flags[i] === 0);
    expect(flagged.length).toBe(Math.floor(0.02 * (rows.n - 1)) + 1);
    expect(Math.min(...flagged)).toBeGreaterThan(Math.max(...kept));
  });
});
