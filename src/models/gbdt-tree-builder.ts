import type { BinnedMatrix } from './gbdt-binning.js';

/** Limits of one tree. */
export interface TreeLimits {
  readonly maxLeaves: number;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  /** L2 regularisation of leaf values. */
  readonly lambda: number;
  readonly learningRate: number;
}

/** A node of a grown tree; `feature` −1 marks a leaf. Values are already scaled by the learning rate. */
export interface GrownNode {
  feature: number;
  threshold: number;
  left: number;
  right: number;
  readonly value: number;
}

/** A grown tree and, per leaf, the training rows that reached it. */
export interface GrownTree {
  readonly nodes: GrownNode[];
  readonly leafRows: ReadonlyMap<number, Int32Array>;
}

interface Candidate {
  readonly node: number;
  readonly rows: Int32Array;
  readonly depth: number;
  readonly histogram: Float64Array;
  readonly split: Split | null;
}

interface Split {
  readonly gain: number;
  readonly feature: number;
  readonly bin: number;
}

/** Gradient statistics: per-row gradients and hessians of the loss. */
export interface Gradients {
  readonly grad: Float64Array;
  readonly hess: Float64Array;
}

/**
 * Grows one regression tree on gradient statistics, best leaf first (the split of largest
 * gain), from histograms of binned features; a child's histogram is the parent's minus its
 * sibling's, so only the smaller child is scanned.
 */
export function growTree(data: BinnedMatrix, g: Gradients, rows: Int32Array, limits: TreeLimits): GrownTree {
  const layout = histogramLayout(data);
  const nodes: GrownNode[] = [];
  const leafRows = new Map<number, Int32Array>();
  const open: Candidate[] = [];
  const place = (rowsOf: Int32Array, depth: number, histogram: Float64Array) => {
    const node = nodes.length;
    nodes.push(leafNode(histogram, layout, limits));
    const split = depth < limits.maxDepth ? bestSplit(histogram, layout, limits) : null;
    open.push({ node, rows: rowsOf, depth, histogram, split });
  };
  place(rows, 0, buildHistogram(data, g, rows, layout));
  let leaves = 1;
  while (leaves < limits.maxLeaves) {
    const at = pickBest(open);
    if (at < 0) break;
    const [candidate] = open.splice(at, 1) as [Candidate];
    splitCandidate(candidate, nodes, data, g, layout, place);
    leaves += 1;
  }
  for (const candidate of open) leafRows.set(candidate.node, candidate.rows);
  return { nodes, leafRows };
}

function pickBest(open: readonly Candidate[]): number {
  let best = -1;
  let gain = 0;
  open.forEach((candidate, i) => {
    if (candidate.split && candidate.split.gain > gain) {
      gain = candidate.split.gain;
      best = i;
    }
  });
  return best;
}

function splitCandidate(
  candidate: Candidate,
  nodes: GrownNode[],
  data: BinnedMatrix,
  g: Gradients,
  layout: HistogramLayout,
  place: (rows: Int32Array, depth: number, histogram: Float64Array) => void,
): void {
  const split = candidate.split as Split;
  const { left, right } = partition(data, candidate.rows, split);
  const smallIsLeft = left.length <= right.length;
  const small = buildHistogram(data, g, smallIsLeft ? left : right, layout);
  const large = candidate.histogram.map((value, i) => value - (small[i] as number));
  const node = nodes[candidate.node] as GrownNode;
  node.feature = split.feature;
  node.threshold = (data.edges[split.feature] as Float32Array)[split.bin] as number;
  node.left = nodes.length;
  place(left, candidate.depth + 1, smallIsLeft ? small : large);
  node.right = nodes.length;
  place(right, candidate.depth + 1, smallIsLeft ? large : small);
}

function partition(
  data: BinnedMatrix,
  rows: Int32Array,
  split: Split,
): { left: Int32Array; right: Int32Array } {
  const base = split.feature * data.rows;
  let leftCount = 0;
  for (const r of rows) if ((data.bins[base + r] as number) <= split.bin) leftCount += 1;
  const left = new Int32Array(leftCount);
  const right = new Int32Array(rows.length - leftCount);
  let l = 0;
  let rr = 0;
  for (const r of rows) {
    if ((data.bins[base + r] as number) <= split.bin) left[l++] = r;
    else right[rr++] = r;
  }
  return { left, right };
}

interface HistogramLayout {
  /** First bin slot of each feature; slot k holds gradient, hessian and count at 3k..3k+2. */
  readonly offsets: Int32Array;
  readonly slots: number;
}

function histogramLayout(data: BinnedMatrix): HistogramLayout {
  const offsets = new Int32Array(data.width + 1);
  for (let f = 0; f < data.width; f++)
    offsets[f + 1] = (offsets[f] as number) + (data.edges[f] as Float32Array).length + 1;
  return { offsets, slots: offsets[data.width] as number };
}

function buildHistogram(
  data: BinnedMatrix,
  g: Gradients,
  rows: Int32Array,
  layout: HistogramLayout,
): Float64Array {
  const histogram = new Float64Array(layout.slots * 3);
  for (let f = 0; f < data.width; f++) {
    const base = f * data.rows;
    const offset = layout.offsets[f] as number;
    for (const r of rows) {
      const slot = (offset + (data.bins[base + r] as number)) * 3;
      histogram[slot] = (histogram[slot] as number) + (g.grad[r] as number);
      histogram[slot + 1] = (histogram[slot + 1] as number) + (g.hess[r] as number);
      histogram[slot + 2] = (histogram[slot + 2] as number) + 1;
    }
  }
  return histogram;
}

/** Totals of the histogram's first feature (every row is in exactly one of its bins). */
function totals(histogram: Float64Array, layout: HistogramLayout): [number, number, number] {
  let grad = 0;
  let hess = 0;
  let count = 0;
  for (let slot = 0; slot < (layout.offsets[1] as number); slot++) {
    grad += histogram[slot * 3] as number;
    hess += histogram[slot * 3 + 1] as number;
    count += histogram[slot * 3 + 2] as number;
  }
  return [grad, hess, count];
}

function leafNode(histogram: Float64Array, layout: HistogramLayout, limits: TreeLimits): GrownNode {
  const [grad, hess] = totals(histogram, layout);
  return {
    feature: -1,
    threshold: 0,
    left: -1,
    right: -1,
    value: (-grad / (hess + limits.lambda)) * limits.learningRate,
  };
}

function bestSplit(histogram: Float64Array, layout: HistogramLayout, limits: TreeLimits): Split | null {
  const [grad, hess, count] = totals(histogram, layout);
  if (count < 2 * limits.minSamplesLeaf) return null;
  const parentScore = (grad * grad) / (hess + limits.lambda);
  let best: Split | null = null;
  for (let f = 0; f + 1 < layout.offsets.length; f++) {
    const split = bestSplitOf(histogram, layout, f, limits, [grad, hess, count]);
    const gain = split ? 0.5 * (split.score - parentScore) : 0;
    if (split && gain > 1e-12 && (!best || gain > best.gain)) best = { gain, feature: f, bin: split.bin };
  }
  return best;
}

function bestSplitOf(
  histogram: Float64Array,
  layout: HistogramLayout,
  feature: number,
  limits: TreeLimits,
  [grad, hess, count]: [number, number, number],
): { score: number; bin: number } | null {
  const start = layout.offsets[feature] as number;
  const end = layout.offsets[feature + 1] as number;
  let best: { score: number; bin: number } | null = null;
  let gl = 0;
  let hl = 0;
  let nl = 0;
  for (let slot = start; slot < end - 1; slot++) {
    gl += histogram[slot * 3] as number;
    hl += histogram[slot * 3 + 1] as number;
    nl += histogram[slot * 3 + 2] as number;
    if (nl < limits.minSamplesLeaf) continue;
    if (count - nl < limits.minSamplesLeaf) break;
    const gr = grad - gl;
    const score = (gl * gl) / (hl + limits.lambda) + (gr * gr) / (hess - hl + limits.lambda);
    if (!best || score > best.score) best = { score, bin: slot - start };
  }
  return best;
}
