import { describe, expect, it } from 'vitest';
import { DETECTORS, isMethodName, METHOD_NAMES, runDetector, standardise } from './index.js';
import { rowsFromArrays } from './rows.js';
import { loadFixture } from './sklearn-fixture.js';

const rows = standardise(rowsFromArrays(loadFixture().X));

describe('detector registry', () => {
  it('maps every method name to a detector of that method with documented defaults', () => {
    for (const method of METHOD_NAMES) {
      expect(DETECTORS[method].method).toBe(method);
      expect(DETECTORS[method].defaults.seed).toBeTypeOf('number');
      expect(DETECTORS[method].defaults.fitSampleSize).toBeGreaterThan(0);
    }
    expect(isMethodName('iforest')).toBe(true);
    expect(isMethodName('kmeans')).toBe(false);
  });

  it.each(METHOD_NAMES)('%s gives every row a finite-or-infinite score and a 0/1 flag', (method) => {
    const result = runDetector(method, rows);
    expect(result.scores).toHaveLength(rows.n);
    expect(result.flags).toHaveLength(rows.n);
    expect(result.flags.every((f) => f === 0 || f === 1)).toBe(true);
    expect(result.scores.some(Number.isNaN)).toBe(false);
  });

  it('merges options over the defaults', () => {
    const loose = runDetector('zscore', rows, { threshold: 0.5 }).flags.reduce((a, b) => a + b, 0);
    const strict = runDetector('zscore', rows).flags.reduce((a, b) => a + b, 0);
    expect(loose).toBeGreaterThan(strict);
  });
});
