import { describe, expect, it } from 'vitest';
import {
  decisionFunction,
  isolationForest,
  isolationOffset,
  scoreSamples,
  treeFromExport,
  type IsolationForestModel,
} from './iforest.js';
import { rowsFromArrays } from './rows.js';
import { loadFixture, maxAbsError, scaledRows } from './sklearn-fixture.js';

const fixture = loadFixture();
const rows = scaledRows();
const reference = fixture.iforest;
const model: IsolationForestModel = {
  trees: reference.trees.map(treeFromExport),
  maxSamples: reference.max_samples_,
};

describe('isolation forest: scoring sklearn-exported trees', () => {
  const samples = scoreSamples(model, rows);

  it('reproduces score_samples', () => {
    expect(maxAbsError(samples, reference.score_samples)).toBeLessThan(1e-12);
  });

  it("reproduces offset_, decision_function and predict with contamination 'auto'", () => {
    const offset = isolationOffset(samples, 'auto');
    expect(offset).toBe(reference.offset_);
    const decision = decisionFunction(samples, offset);
    expect(maxAbsError(decision, reference.decision_function)).toBeLessThan(1e-12);
    expect(Array.from(decision, (v) => (v < 0 ? -1 : 1))).toEqual(reference.predict);
  });
});

describe('isolation forest: own seeded fitting', () => {
  it('is deterministic for a seed and builds trees in sklearn layout', () => {
    const a = isolationForest.fit(rows, { seed: 7 });
    const b = isolationForest.fit(rows, { seed: 7 });
    expect(a.score(rows).scores).toEqual(b.score(rows).scores);
    const tree = a.model.trees[0]!;
    expect(a.model.trees).toHaveLength(100);
    expect(tree.nNodeSamples[0]).toBe(256);
    expect(Math.max(...depths(tree.childrenLeft, tree.childrenRight))).toBeLessThanOrEqual(8);
  });

  it('ranks the three split-payment rows as most anomalous, like the sklearn forest', () => {
    const ranked = topIndices(isolationForest.fitScore(rows, { seed: 1 }).scores, 3);
    const sklearnRanked = topIndices(
      Float64Array.from(reference.score_samples, (s) => -s),
      3,
    );
    expect(ranked.sort()).toEqual(sklearnRanked.sort());
  });

  it('flags the contamination share of the fitted rows', () => {
    const { flags } = isolationForest.fitScore(rows, { contamination: 0.05, seed: 3 });
    const flagged = flags.reduce((sum, f) => sum + f, 0);
    expect(flagged).toBeGreaterThanOrEqual(Math.floor(0.05 * rows.n));
    expect(flagged).toBeLessThanOrEqual(Math.ceil(0.05 * rows.n) + 1);
  });

  it('fits on a seeded sample and still scores every row', () => {
    const big = rowsFromArrays([...fixture.X_scaled, ...fixture.X_scaled]);
    const result = isolationForest.fitScore(big, { fitSampleSize: 300, seed: 2 });
    expect(result.scores).toHaveLength(big.n);
    expect(result.scores.every((s) => s > 0 && s <= 1)).toBe(true);
  });
});

function topIndices(scores: Float64Array, k: number): number[] {
  return Array.from(scores.keys())
    .sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0))
    .slice(0, k);
}

function depths(left: Int32Array, right: Int32Array): number[] {
  const depth = new Array<number>(left.length).fill(0);
  for (let i = 0; i < left.length; i++) {
    for (const child of [left[i]!, right[i]!]) if (child >= 0) depth[child] = depth[i]! + 1;
  }
  return depth;
}
