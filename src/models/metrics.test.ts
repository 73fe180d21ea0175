import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  calibrationTable,
  confusionMatrix,
  evaluate,
  precisionRecallF1,
  recallAtFpr,
  rocAuc,
} from './metrics.js';

describe('rocAuc', () => {
  it('is the share of (fraud, legit) pairs ranked right, ties counting half', () => {
    // positives score 0.9 and 0.4, negatives 0.6 and 0.1: pairs (0.9>0.6, 0.9>0.1, 0.4<0.6, 0.4>0.1) → 3/4
    expect(rocAuc([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1])).toBeCloseTo(3 / 4, 12);
    // a tie counts 1/2: pairs (0.8>0.5, 0.8>0.2, 0.5=0.5, 0.5>0.2) → 3.5/4
    expect(rocAuc([1, 0, 1, 0], [0.8, 0.5, 0.5, 0.2])).toBeCloseTo(3.5 / 4, 12);
    expect(rocAuc([1, 1, 0], [0.9, 0.8, 0.1])).toBe(1);
    expect(rocAuc([0, 0], [0.3, 0.2])).toBeNaN();
  });
});

describe('averagePrecision', () => {
  it('sums precision at each recall step', () => {
    // ranked: 1 (P=1), 0, 1 (P=2/3), 0 → (1/2)·1 + (1/2)·(2/3) = 5/6
    expect(averagePrecision([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1])).toBeCloseTo(5 / 6, 12);
    // tied scores form one step: {1,0} at 0.5 gives recall 1 at precision 1/2 → 0.5
    expect(averagePrecision([1, 0], [0.5, 0.5])).toBeCloseTo(0.5, 12);
  });
});

describe('threshold metrics', () => {
  const labels = [1, 1, 1, 0, 0, 0, 0, 0];
  const scores = [0.95, 0.75, 0.3, 0.8, 0.2, 0.1, 0.05, 0.01];

  it('counts the confusion matrix with score >= threshold as fraud', () => {
    expect(confusionMatrix(labels, scores, 0.75)).toEqual({ tp: 2, fp: 1, tn: 4, fn: 1 });
    const { precision, recall, f1 } = precisionRecallF1({ tp: 2, fp: 1, tn: 4, fn: 1 });
    expect(precision).toBeCloseTo(2 / 3, 12);
    expect(recall).toBeCloseTo(2 / 3, 12);
    expect(f1).toBeCloseTo(2 / 3, 12);
  });

  it('finds the best recall whose false-positive rate stays under the limit', () => {
    // 5 negatives: under 1% FPR no negative may pass, so the threshold stays at 0.95 → recall 1/3;
    // at 20% one may (0.8), so the threshold can go down to 0.3 → recall 3/3
    expect(recallAtFpr(labels, scores, 0.01)).toBeCloseTo(1 / 3, 12);
    expect(recallAtFpr(labels, scores, 0.2)).toBe(1);
  });

  it('bins calibration in tenths, mean predicted against observed rate', () => {
    const table = calibrationTable([1, 0, 1, 0], [0.95, 0.91, 0.15, 1]);
    expect(table).toHaveLength(10);
    expect(table[9]).toEqual({
      lower: 0.9,
      upper: 1,
      count: 3,
      meanPredicted: (0.95 + 0.91 + 1) / 3,
      observedRate: 1 / 3,
    });
    expect(table[1]).toMatchObject({ count: 1, meanPredicted: 0.15, observedRate: 1 });
    expect(table[0]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null });
  });

  it('puts it all together in a JSON-safe report', () => {
    const report = evaluate(labels, scores, 0.75);
    expect(report).toMatchObject({ samples: 8, positives: 3, baseRate: 3 / 8, threshold: 0.75 });
    expect(report.rocAuc).toBeCloseTo(13 / 15, 12); // 13 of the 15 pairs are ranked right
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
