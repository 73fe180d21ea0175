import type { GrownNode } from './gbdt-tree-builder.js';

/**
 * Trees flattened into typed arrays for inference: node `i` splits on `feature[i]`
 * (−1 for a leaf), going left when `x[feature] <= threshold[i]`. `value[i]` is the
 * node's raw score (log-odds, learning rate applied), also kept for inner nodes so
 * path attributions can be read off.
 */
export interface Forest {
  readonly baseScore: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  readonly value: Float64Array;
}

/** A forest as plain JSON: each typed array as a number array. */
export type ForestJson = {
  readonly [K in keyof Forest]: Forest[K] extends number ? number : readonly number[];
};

/** Flattens grown trees (each tree's node indices are local) into one {@link Forest}. */
export function flattenForest(baseScore: number, trees: readonly (readonly GrownNode[])[]): Forest {
  const size = trees.reduce((sum, nodes) => sum + nodes.length, 0);
  const forest = {
    baseScore,
    roots: new Int32Array(trees.length),
    feature: new Int32Array(size),
    threshold: new Float32Array(size),
    left: new Int32Array(size),
    right: new Int32Array(size),
    value: new Float64Array(size),
  };
  let at = 0;
  trees.forEach((nodes, t) => {
    forest.roots[t] = at;
    nodes.forEach((node, i) => {
      forest.feature[at + i] = node.feature;
      forest.threshold[at + i] = node.threshold;
      forest.left[at + i] = node.feature < 0 ? -1 : at + node.left;
      forest.right[at + i] = node.feature < 0 ? -1 : at + node.right;
      forest.value[at + i] = node.value;
    });
    at += nodes.length;
  });
  return forest;
}

/** Raw score (log-odds) of the row of `data` starting at `offset`. */
export function rawScore(forest: Forest, data: Float32Array, offset: number): number {
  const { roots, feature, threshold, left, right, value } = forest;
  let sum = forest.baseScore;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t] as number;
    let f = feature[node] as number;
    while (f >= 0) {
      node =
        (data[offset + f] as number) <= (threshold[node] as number)
          ? (left[node] as number)
          : (right[node] as number);
      f = feature[node] as number;
    }
    sum += value[node] as number;
  }
  return sum;
}

/** Raw score of one tree for a row (used to update validation scores while training). */
export function treeScore(forest: Forest, tree: number, data: Float32Array, offset: number): number {
  let node = forest.roots[tree] as number;
  while ((forest.feature[node] as number) >= 0) {
    const f = forest.feature[node] as number;
    node =
      (data[offset + f] as number) <= (forest.threshold[node] as number)
        ? (forest.left[node] as number)
        : (forest.right[node] as number);
  }
  return forest.value[node] as number;
}

/**
 * Saabas path attribution: along each tree's path, the change of node value at a split is
 * credited to the split's feature. `bias + Σ contributions` equals the raw score.
 */
export function pathContributions(
  forest: Forest,
  data: Float32Array,
  offset: number,
  width: number,
): { bias: number; contributions: Float64Array } {
  const contributions = new Float64Array(width);
  let bias = forest.baseScore;
  for (let t = 0; t < forest.roots.length; t++) {
    let node = forest.roots[t] as number;
    bias += forest.value[node] as number;
    while ((forest.feature[node] as number) >= 0) {
      const f = forest.feature[node] as number;
      const next =
        (data[offset + f] as number) <= (forest.threshold[node] as number)
          ? forest.left[node]
          : forest.right[node];
      contributions[f] =
        (contributions[f] as number) +
        (forest.value[next as number] as number) -
        (forest.value[node] as number);
      node = next as number;
    }
  }
  return { bias, contributions };
}

/** The first `trees` trees of a forest (after early stopping). */
export function truncateForest(forest: Forest, trees: number): Forest {
  if (trees >= forest.roots.length) return forest;
  const end = forest.roots[trees] as number;
  return {
    baseScore: forest.baseScore,
    roots: forest.roots.slice(0, trees),
    feature: forest.feature.slice(0, end),
    threshold: forest.threshold.slice(0, end),
    left: forest.left.slice(0, end),
    right: forest.right.slice(0, end),
    value: forest.value.slice(0, end),
  };
}

/** The forest as plain JSON (float32 thresholds and float64 values survive the round trip exactly). */
export function forestToJson(forest: Forest): ForestJson {
  return {
    baseScore: forest.baseScore,
    roots: Array.from(forest.roots),
    feature: Array.from(forest.feature),
    threshold: Array.from(forest.threshold),
    left: Array.from(forest.left),
    right: Array.from(forest.right),
    value: Array.from(forest.value),
  };
}

/** Reads a forest back from {@link forestToJson}. */
export function forestFromJson(json: ForestJson): Forest {
  return {
    baseScore: json.baseScore,
    roots: Int32Array.from(json.roots),
    feature: Int32Array.from(json.feature),
    threshold: Float32Array.from(json.threshold),
    left: Int32Array.from(json.left),
    right: Int32Array.from(json.right),
    value: Float64Array.from(json.value),
  };
}
