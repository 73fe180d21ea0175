import { describe, expect, it } from 'vitest';
import { calibratedSimilarity, scoreFromDistance } from './face-similarity.js';

describe('calibrated similarity', () => {
  it('puts 80 and 70 at the calibrated distances', () => {
    expect(scoreFromDistance(0.54)).toBeCloseTo(80, 0);
    expect(scoreFromDistance(0.566)).toBeCloseTo(70, 0);
    expect(scoreFromDistance(1.2)).toBeLessThan(0.01);
  });

  it('decreases as the distance grows and stays within 0..100', () => {
    let previous = Infinity;
    for (let d = 0; d <= 1.5; d += 0.01) {
      const score = scoreFromDistance(d);
      expect(score).toBeLessThanOrEqual(previous);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(100);
      previous = score;
    }
  });

  it('scores identical descriptors near 100 and refuses different lengths', () => {
    const a = Float32Array.from([0.1, -0.2, 0.3]);
    expect(calibratedSimilarity(a, a)).toBeGreaterThan(99.9);
    expect(() => calibratedSimilarity(a, new Float32Array(2))).toThrow(RangeError);
  });
});
