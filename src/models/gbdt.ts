import { binMatrix, fitBinEdges, type BinnedMatrix } from './gbdt-binning.js';
import { flattenForest, treeScore, truncateForest, type Forest } from './gbdt-forest.js';
import { growTree, type Gradients, type GrownNode, type TreeLimits } from './gbdt-tree-builder.js';
import type { ProgressCallback } from './model.types.js';
import type { Matrix } from './preprocessing.js';
import { logLoss, progressReporter } from './training-progress.js';

/** Hyperparameters of gradient-boosted trees. */
export interface GbdtParams extends TreeLimits {
  /** Most boosting rounds. */
  readonly nEstimators: number;
  /** Histogram bins per feature (≤ 256). */
  readonly maxBins: number;
  /** Stop when validation loss has not improved for this many rounds (keep the best round). */
  readonly earlyStoppingRounds: number;
  /** Weight of a fraud row in the loss (class weight). */
  readonly positiveWeight: number;
}

/**
 * Defaults of {@link GbdtParams}: shallow trees and a small learning rate, which held up
 * better than 31-leaf trees on both generators (fraud labels are few and noisy).
 */
export const GBDT_DEFAULTS = {
  nEstimators: 500,
  learningRate: 0.05,
  maxLeaves: 8,
  maxDepth: 3,
  minSamplesLeaf: 50,
  lambda: 1,
  maxBins: 256,
  earlyStoppingRounds: 40,
  positiveWeight: 10,
} as const satisfies GbdtParams;

/** Labelled rows. */
export interface LabelledMatrix {
  readonly x: Matrix;
  readonly y: Uint8Array;
}

/** A trained forest and the round that was kept. */
export interface GbdtResult {
  readonly forest: Forest;
  readonly bestRound: number;
  readonly rounds: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Boosting state: raw scores (log-odds) of training and validation rows, and the trees so far. */
interface Booster {
  readonly binned: BinnedMatrix;
  readonly weightOf: (label: number) => number;
  readonly baseScore: number;
  readonly raw: Float64Array;
  readonly validRaw: Float64Array;
  readonly gradients: Gradients;
  readonly all: Int32Array;
  readonly trees: GrownNode[][];
}

/**
 * Gradient-boosted trees with logistic loss, histogram splits and early stopping on `valid`
 * (the best round is kept). Deterministic: no sampling; ties go to the first feature and bin.
 */
export function trainGbdt(
  train: LabelledMatrix,
  valid: LabelledMatrix,
  params: GbdtParams = GBDT_DEFAULTS,
  onProgress?: ProgressCallback,
): GbdtResult {
  const booster = startBoosting(train, valid, params);
  const report = progressReporter(params.nEstimators, onProgress);
  let best = { loss: Infinity, round: 0 };
  for (
    let round = 1;
    round <= params.nEstimators && round - best.round <= params.earlyStoppingRounds;
    round++
  ) {
    boostRound(booster, train, valid, params);
    const valLoss = logLoss(valid.y, (i) => sigmoid(booster.validRaw[i] as number));
    if (valLoss < best.loss - 1e-9) best = { loss: valLoss, round };
    report(
      round,
      logLoss(train.y, (i) => sigmoid(booster.raw[i] as number), booster.weightOf),
      valLoss,
    );
  }
  const bestRound = Math.max(1, best.round);
  const forest = truncateForest(flattenForest(booster.baseScore, booster.trees), bestRound);
  return { forest, bestRound, rounds: booster.trees.length };
}

function startBoosting(train: LabelledMatrix, valid: LabelledMatrix, params: GbdtParams): Booster {
  const weightOf = (label: number) => (label === 1 ? params.positiveWeight : 1);
  const baseScore = priorLogOdds(train.y, weightOf);
  const rows = train.y.length;
  return {
    binned: binMatrix(train.x, fitBinEdges(train.x, params.maxBins)),
    weightOf,
    baseScore,
    raw: new Float64Array(rows).fill(baseScore),
    validRaw: new Float64Array(valid.y.length).fill(baseScore),
    gradients: { grad: new Float64Array(rows), hess: new Float64Array(rows) },
    all: Int32Array.from({ length: rows }, (_, i) => i),
    trees: [],
  };
}

/** Fits one tree to the gradients of the log loss and adds it to the scores. */
function boostRound(
  booster: Booster,
  train: LabelledMatrix,
  valid: LabelledMatrix,
  params: GbdtParams,
): void {
  const { raw, gradients, weightOf } = booster;
  for (let i = 0; i < raw.length; i++) {
    const p = sigmoid(raw[i] as number);
    const w = weightOf(train.y[i] as number);
    gradients.grad[i] = w * (p - (train.y[i] as number));
    gradients.hess[i] = Math.max(w * p * (1 - p), 1e-12);
  }
  const tree = growTree(booster.binned, gradients, booster.all, params);
  booster.trees.push(tree.nodes);
  for (const [node, rows] of tree.leafRows) {
    const value = (tree.nodes[node] as GrownNode).value;
    for (const r of rows) raw[r] = (raw[r] as number) + value;
  }
  const single = flattenForest(0, [tree.nodes]);
  for (let r = 0; r < valid.x.rows; r++) {
    booster.validRaw[r] =
      (booster.validRaw[r] as number) + treeScore(single, 0, valid.x.data, r * valid.x.width);
  }
}

function priorLogOdds(y: Uint8Array, weightOf: (label: number) => number): number {
  let positive = 1e-7;
  let negative = 1e-7;
  for (const label of y) {
    if (label === 1) positive += weightOf(1);
    else negative += weightOf(0);
  }
  return Math.log(positive / negative);
}
