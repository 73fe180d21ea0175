import { describe, expect, it } from 'vitest';
import { rowsFromArrays } from './rows.js';
import { loadFixture } from './sklearn-fixture.js';
import { poissonQuantile, RULE_BITS, thresholdRules } from './rules.js';

const fixture = loadFixture();
const raw = rowsFromArrays(fixture.X);

describe('rules', () => {
  it('fires count, sum and Poisson-tail rules with their bits', () => {
    const rows = rowsFromArrays([
      [1, 100],
      [2, 200],
      [3, 300],
      [2, 20_000],
      [12, 500],
    ]);
    const { scores, flags, extra } = thresholdRules.fitScore(rows);
    expect(Array.from(extra?.rules ?? [])).toEqual([
      0,
      0,
      0,
      RULE_BITS.sum,
      RULE_BITS.count | RULE_BITS.poisson,
    ]);
    expect(Array.from(scores)).toEqual([0, 0, 0, 1, 2]);
    expect(Array.from(flags)).toEqual([0, 0, 0, 1, 1]);
  });

  it('uses the 99th percentile of Poisson(mean count), as scipy poisson.ppf', () => {
    for (const lambda of [0.5, 3, 40, 1000]) {
      const c = poissonQuantile(lambda, 0.99);
      expect(poissonCdf(lambda, c)).toBeGreaterThanOrEqual(0.99);
      expect(poissonCdf(lambda, c - 1)).toBeLessThan(0.99);
    }
    const counts = fixture.X.map((r) => r[0]!);
    const lambda = counts.reduce((a, b) => a + b, 0) / counts.length;
    const { extra } = thresholdRules.fitScore(raw, { maxCount: 1e9, sumThreshold: Infinity });
    counts.forEach((c, i) =>
      expect(extra?.rules?.[i]).toBe(c > poissonQuantile(lambda, 0.99) ? RULE_BITS.poisson : 0),
    );
  });
});

/** P(X ≤ c) for X ~ Poisson(λ), summing pmfs computed in log space term by term. */
function poissonCdf(lambda: number, c: number): number {
  let logPmf = -lambda;
  let cdf = Math.exp(logPmf);
  for (let i = 1; i <= c; i++) {
    logPmf += Math.log(lambda / i);
    cdf += Math.exp(logPmf);
  }
  return c < 0 ? 0 : cdf;
}
