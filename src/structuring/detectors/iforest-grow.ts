import type { IsolationTree } from './iforest-forest.js';
import { nextDouble, randomInt, type Rng } from './random.js';
import type { Rows } from './rows.js';

/** Growing state of one tree; node arrays are plain arrays until the tree is done. */
interface Grower {
  readonly x: Float32Array;
  readonly d: number;
  readonly index: Int32Array;
  readonly maxDepth: number;
  readonly rng: Rng;
  readonly featureOrder: Int32Array;
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly count: number[];
}

interface Split {
  readonly feature: number;
  readonly threshold: number;
}

/**
 * Grows `nTrees` isolation trees on subsamples of `maxSamples` rows, in sklearn's node
 * layout (preorder, leaves marked -1): random feature among the non-constant ones,
 * threshold uniform in [min, max), depth limit ceil(log2 ψ).
 */
export function growForest(rows: Rows, nTrees: number, maxSamples: number, rng: Rng): IsolationTree[] {
  const x = Float32Array.from(rows.data);
  const psi = Math.min(maxSamples, rows.n);
  const pool = Int32Array.from({ length: rows.n }, (_, i) => i);
  const maxDepth = Math.ceil(Math.log2(Math.max(psi, 2)));
  const trees: IsolationTree[] = [];
  for (let t = 0; t < nTrees; t++) {
    drawWithoutReplacement(pool, psi, rng);
    trees.push(growTree({ x, d: rows.d, index: pool.slice(0, psi), maxDepth, rng }));
  }
  return trees;
}

/** Partial Fisher–Yates: the first `k` entries of `pool` become a uniform sample. */
function drawWithoutReplacement(pool: Int32Array, k: number, rng: Rng): void {
  for (let i = 0; i < k; i++) {
    const j = i + randomInt(rng, pool.length - i);
    const tmp = pool[i] ?? 0;
    pool[i] = pool[j] ?? 0;
    pool[j] = tmp;
  }
}

type GrowInput = Pick<Grower, 'x' | 'd' | 'index' | 'maxDepth' | 'rng'>;

function growTree(input: GrowInput): IsolationTree {
  const g: Grower = {
    ...input,
    featureOrder: new Int32Array(input.d),
    feature: [],
    threshold: [],
    left: [],
    right: [],
    count: [],
  };
  growNode(g, 0, g.index.length, 0);
  return {
    feature: Int32Array.from(g.feature),
    threshold: Float64Array.from(g.threshold),
    childrenLeft: Int32Array.from(g.left),
    childrenRight: Int32Array.from(g.right),
    nNodeSamples: Int32Array.from(g.count),
  };
}

function growNode(g: Grower, start: number, end: number, depth: number): number {
  const node = g.feature.length;
  const split = depth < g.maxDepth && end - start > 1 ? chooseSplit(g, start, end) : null;
  // sklearn marks leaves with feature -2, threshold -2 and children -1.
  g.feature.push(split?.feature ?? -2);
  g.threshold.push(split?.threshold ?? -2);
  g.left.push(-1);
  g.right.push(-1);
  g.count.push(end - start);
  if (split) {
    const mid = partition(g, start, end, split);
    g.left[node] = growNode(g, start, mid, depth + 1);
    g.right[node] = growNode(g, mid, end, depth + 1);
  }
  return node;
}

/** Tries features in random order and splits on the first one that is not constant here. */
function chooseSplit(g: Grower, start: number, end: number): Split | null {
  const order = g.featureOrder;
  for (let j = 0; j < g.d; j++) order[j] = j;
  for (let k = 0; k < g.d; k++) {
    const pick = k + randomInt(g.rng, g.d - k);
    const feature = order[pick] ?? 0;
    order[pick] = order[k] ?? 0;
    order[k] = feature;
    const [min, max] = featureRange(g, start, end, feature);
    if (max > min) {
      const threshold = min + (max - min) * nextDouble(g.rng);
      // A threshold equal to max would send every sample left.
      return { feature, threshold: threshold >= max ? min : threshold };
    }
  }
  return null;
}

function featureRange(g: Grower, start: number, end: number, feature: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let k = start; k < end; k++) {
    const v = g.x[(g.index[k] ?? 0) * g.d + feature] ?? 0;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function partition(g: Grower, start: number, end: number, split: Split): number {
  let mid = start;
  for (let k = start; k < end; k++) {
    const row = g.index[k] ?? 0;
    if ((g.x[row * g.d + split.feature] ?? 0) <= split.threshold) {
      g.index[k] = g.index[mid] ?? 0;
      g.index[mid++] = row;
    }
  }
  return mid;
}
