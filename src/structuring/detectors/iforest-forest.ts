import type { Rows } from './rows.js';

/**
 * One isolation tree in sklearn's `tree_` layout: node arrays indexed by node id,
 * `childrenLeft[i] === -1` for leaves. Go left when `x[feature] <= threshold`.
 */
export interface IsolationTree {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly childrenLeft: Int32Array;
  readonly childrenRight: Int32Array;
  readonly nNodeSamples: Int32Array;
}

/** A tree as exported from sklearn (`est.tree_` arrays as JSON lists). */
export interface ExportedTree {
  readonly feature: readonly number[];
  readonly threshold: readonly number[];
  readonly children_left: readonly number[];
  readonly children_right: readonly number[];
  readonly n_node_samples: readonly number[];
}

/** Converts an sklearn-exported tree to {@link IsolationTree}. */
export function treeFromExport(tree: ExportedTree): IsolationTree {
  return {
    feature: Int32Array.from(tree.feature),
    threshold: Float64Array.from(tree.threshold),
    childrenLeft: Int32Array.from(tree.children_left),
    childrenRight: Int32Array.from(tree.children_right),
    nNodeSamples: Int32Array.from(tree.n_node_samples),
  };
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * Average path length of an unsuccessful BST search among `n` points, c(n): the depth
 * a leaf holding `n` unsplit samples stands for (sklearn's `_average_path_length`).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Every tree laid out as a complete binary tree of fixed depth (children of slot s at
 * 2s + 1 and 2s + 2): scoring then walks exactly `depth` levels without a data-dependent
 * loop exit. A leaf above the bottom becomes a pass-through node (threshold +∞) whose
 * whole subtree repeats the leaf's value, so any path below it ends with that value.
 */
interface PackedForest {
  readonly depth: number;
  readonly nTrees: number;
  /** nTrees × (2^depth − 1) split slots. */
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  /** nTrees × 2^depth bottom slots: (depth of the original leaf + 1) + c(n) − 1, sklearn's order. */
  readonly leafValue: Float64Array;
}

function treeDepth(tree: IsolationTree, node = 0): number {
  const l = tree.childrenLeft[node] ?? -1;
  if (l < 0) return 0;
  return 1 + Math.max(treeDepth(tree, l), treeDepth(tree, tree.childrenRight[node] ?? 0));
}

function pack(trees: readonly IsolationTree[]): PackedForest {
  const depth = trees.reduce((max, tree) => Math.max(max, treeDepth(tree)), 0);
  const splits = 2 ** depth - 1;
  const forest: PackedForest = {
    depth,
    nTrees: trees.length,
    feature: new Int32Array(trees.length * splits),
    threshold: new Float64Array(trees.length * splits).fill(Infinity),
    leafValue: new Float64Array(trees.length * (splits + 1)),
  };
  trees.forEach((tree, t) => place(forest, tree, t, { node: 0, slot: 0, level: 0, leafDepth: 0 }));
  return forest;
}

interface Placement {
  readonly node: number;
  readonly slot: number;
  readonly level: number;
  /** Depth of the original leaf once one has been reached (for pass-through slots). */
  readonly leafDepth: number;
}

function place(forest: PackedForest, tree: IsolationTree, t: number, at: Placement): void {
  const splits = 2 ** forest.depth - 1;
  const isLeaf = (tree.childrenLeft[at.node] ?? -1) < 0;
  const leafDepth = isLeaf && at.leafDepth === 0 ? at.level : at.leafDepth;
  if (at.level === forest.depth) {
    const n = tree.nNodeSamples[at.node] ?? 0;
    forest.leafValue[t * (splits + 1) + at.slot - splits] = leafDepth + 1 + averagePathLength(n) - 1;
    return;
  }
  if (!isLeaf) {
    forest.feature[t * splits + at.slot] = tree.feature[at.node] ?? 0;
    forest.threshold[t * splits + at.slot] = tree.threshold[at.node] ?? 0;
  }
  const left = isLeaf ? at.node : (tree.childrenLeft[at.node] ?? 0);
  const right = isLeaf ? at.node : (tree.childrenRight[at.node] ?? 0);
  const level = at.level + 1;
  place(forest, tree, t, { node: left, slot: 2 * at.slot + 1, level, leafDepth });
  place(forest, tree, t, { node: right, slot: 2 * at.slot + 2, level, leafDepth });
}

/** A fitted isolation forest: trees plus the subsample size ψ they were grown on. */
export interface IsolationForestModel {
  readonly trees: readonly IsolationTree[];
  readonly maxSamples: number;
}

/**
 * sklearn's `score_samples`: −2^(−E[h(x)] / c(ψ)), lower is more abnormal. Features are
 * rounded to float32 first because sklearn compares float32 inputs with the thresholds.
 */
export function scoreSamples(model: IsolationForestModel, rows: Rows): Float64Array {
  const forest = pack(model.trees);
  const x = Float32Array.from(rows.data);
  const denominator = model.trees.length * averagePathLength(model.maxSamples);
  const depths = new Float64Array(rows.n);
  // Tree by tree over all rows: one tree's nodes stay in cache, and each row's sum still
  // adds the trees in sklearn's order.
  for (let t = 0; t < forest.nTrees; t++) addPathLengths(forest, t, x, rows.d, depths);
  for (let i = 0; i < depths.length; i++) {
    depths[i] = -(2 ** -(denominator === 0 ? 1 : (depths[i] ?? 0) / denominator));
  }
  return depths;
}

/**
 * One level down: the slot below absolute slot `s` for the row at `offset`. It adds 1 (left)
 * or 2 (right) without a branch, which the processor would mispredict half the time;
 * !(x <= threshold) goes right, as sklearn (also for NaN).
 */
function down(forest: PackedForest, base: number, s: number, x: Float32Array, offset: number): number {
  const value = x[offset + (forest.feature[s] ?? 0)] ?? 0;
  return 2 * s - base + 2 - Number(value <= (forest.threshold[s] ?? 0));
}

function addPathLengths(
  forest: PackedForest,
  t: number,
  x: Float32Array,
  d: number,
  depths: Float64Array,
): void {
  const { leafValue, depth } = forest;
  const splits = 2 ** depth - 1;
  const base = t * splits;
  // Leaf value of absolute bottom slot s.
  const leaf = base - t * (splits + 1) + splits;
  const n = depths.length;
  let i = 0;
  // Four rows walk the tree together: their steps do not wait on one another, so the
  // processor overlaps them (one row's walk is a chain of dependent loads).
  for (; i + 4 <= n; i += 4) {
    const o = i * d;
    let s0 = base;
    let s1 = base;
    let s2 = base;
    let s3 = base;
    for (let level = 0; level < depth; level++) {
      s0 = down(forest, base, s0, x, o);
      s1 = down(forest, base, s1, x, o + d);
      s2 = down(forest, base, s2, x, o + 2 * d);
      s3 = down(forest, base, s3, x, o + 3 * d);
    }
    depths[i] = (depths[i] ?? 0) + (leafValue[s0 - leaf] ?? 0);
    depths[i + 1] = (depths[i + 1] ?? 0) + (leafValue[s1 - leaf] ?? 0);
    depths[i + 2] = (depths[i + 2] ?? 0) + (leafValue[s2 - leaf] ?? 0);
    depths[i + 3] = (depths[i + 3] ?? 0) + (leafValue[s3 - leaf] ?? 0);
  }
  for (; i < n; i++) {
    let s = base;
    for (let level = 0; level < depth; level++) s = down(forest, base, s, x, i * d);
    depths[i] = (depths[i] ?? 0) + (leafValue[s - leaf] ?? 0);
  }
}
