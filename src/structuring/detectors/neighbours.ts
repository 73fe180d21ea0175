import { drainSorted, siftDown, siftUp, type Heap } from './knn-heap.js';
import type { Rows } from './rows.js';

/** Nodes of a KD-tree in flat arrays; node 0 is the root, `left === -1` marks a leaf. */
interface Nodes {
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Dimension an internal node is split on. */
  readonly dim: Int32Array;
  /** Bounding box of each node: `lo[node * d + j]`, `hi[node * d + j]`. */
  readonly lo: Float64Array;
  readonly hi: Float64Array;
}

/**
 * KD-tree over a fixed set of points (Euclidean). Points are copied in tree order so a
 * leaf scan reads contiguous memory. Queries allocate nothing per call beyond what the
 * caller passes in, so millions of queries stay cheap.
 */
export class KdTree {
  readonly n: number;
  readonly d: number;
  /** Tree position → index of the point in the rows given to the constructor. */
  private readonly order: Int32Array;
  private readonly points: Float64Array;
  private readonly nodes: Nodes;
  private readonly stack: Int32Array;
  private heap: Heap = { dist: new Float64Array(0), index: new Int32Array(0), size: 0 };
  /** Squared distance a point must not exceed while the heap is not yet full (∞: no bound). */
  private bound2 = Infinity;

  constructor(rows: Rows, leafSize = 20) {
    this.n = rows.n;
    this.d = rows.d;
    this.order = Int32Array.from({ length: rows.n }, (_, i) => i);
    this.nodes = allocateNodes(nodeCount(rows.n, Math.max(1, leafSize)), rows.d);
    const count = buildNodes(rows, this.order, this.nodes, Math.max(1, leafSize));
    this.points = new Float64Array(rows.n * rows.d);
    this.order.forEach((row, pos) =>
      this.points.set(rows.data.subarray(row * rows.d, (row + 1) * rows.d), pos * rows.d),
    );
    this.stack = new Int32Array(Math.max(64, count));
  }

  /**
   * The `k` nearest points to `query[offset .. offset + d)`, ascending by distance, written
   * to `outDist` (Euclidean) and `outIndex`. As in sklearn's tree, a point replaces the
   * current k-th neighbour only when strictly closer (ties keep the first found).
   * Returns how many were found.
   */
  knn(query: Float64Array, offset: number, k: number, outDist: Float64Array, outIndex: Int32Array): number {
    this.search(query, offset, k, Infinity);
    return drainSorted(this.heap, outDist, outIndex, this.order);
  }

  /**
   * The `k` nearest points of every row of `rows`, handed to `visit(row, dist, index)` (the
   * arrays are reused from call to call). The same neighbours as {@link knn} row by row, up
   * to which of several equidistant points is kept; faster on many rows (by about a fifth
   * on structuring windows): rows are taken leaf by leaf, and each search starts bounded by
   * the distance to the previous row's k neighbours, so it skips nodes a search from
   * scratch would visit before it has found k points.
   */
  knnEach(rows: Rows, k: number, visit: (row: number, dist: Float64Array, index: Int32Array) => void): void {
    const dist = new Float64Array(k);
    const index = new Int32Array(k);
    const previous = new Int32Array(k);
    let known = 0;
    for (const row of this.leafOrder(rows)) {
      const offset = row * rows.d;
      this.search(rows.data, offset, k, known === k ? this.farthest2(previous, rows.data, offset) : Infinity);
      known = this.heap.size;
      for (let j = 0; j < known; j++) previous[j] = this.heap.index[j] ?? 0;
      drainSorted(this.heap, dist, index, this.order);
      visit(row, dist, index);
    }
  }

  /**
   * Calls `visit(index)` for every point with distance ≤ `radius` (the query point
   * included); the walk stops early when `visit` returns true.
   */
  forEachWithin(
    query: Float64Array,
    offset: number,
    radius: number,
    visit: (index: number) => boolean,
  ): void {
    const r2 = radius * radius;
    const { nodes, stack, d } = this;
    let top = 0;
    stack[top++] = 0;
    while (top > 0) {
      const node = stack[--top] ?? 0;
      if (boxDistance2(nodes, node, d, query, offset) > r2) continue;
      const left = nodes.left[node] ?? -1;
      if (left >= 0) {
        stack[top++] = nodes.right[node] ?? 0;
        stack[top++] = left;
        continue;
      }
      for (let p = nodes.start[node] ?? 0; p < (nodes.end[node] ?? 0); p++) {
        if (this.distance2(p, query, offset) <= r2 && visit(this.order[p] ?? 0)) return;
      }
    }
  }

  /** Number of points with distance ≤ `radius`, counting stops once `limit` is reached. */
  countWithin(query: Float64Array, offset: number, radius: number, limit = Infinity): number {
    let count = 0;
    this.forEachWithin(query, offset, radius, () => ++count >= limit);
    return count;
  }

  /** Fills the heap with the `k` nearest points within `bound2` (squared) of the query. */
  private search(query: Float64Array, offset: number, k: number, bound2: number): void {
    const heap = this.heapOf(k);
    heap.size = 0;
    this.bound2 = bound2;
    this.searchKnn(0, 0, query, offset, k);
  }

  /**
   * Largest squared distance from the query to the points at tree positions `positions`;
   * ∞ (no bound) for a query with NaN, which `knn` answers with the first k points scanned.
   */
  private farthest2(positions: Int32Array, query: Float64Array, offset: number): number {
    let farthest = 0;
    for (const pos of positions) farthest = Math.max(farthest, this.distance2(pos, query, offset));
    return Number.isNaN(farthest) ? Infinity : farthest;
  }

  /** Row numbers of `rows` grouped by the leaf each row falls into (counting sort). */
  private leafOrder(rows: Rows): Int32Array {
    const leaves = new Int32Array(rows.n);
    const starts = new Int32Array(this.nodes.left.length + 1);
    for (let row = 0; row < rows.n; row++) {
      const leaf = this.leafOf(rows.data, row * rows.d);
      leaves[row] = leaf;
      starts[leaf + 1] = (starts[leaf + 1] ?? 0) + 1;
    }
    for (let i = 1; i < starts.length; i++) starts[i] = (starts[i] ?? 0) + (starts[i - 1] ?? 0);
    const order = new Int32Array(rows.n);
    leaves.forEach((leaf, row) => {
      const at = starts[leaf] ?? 0;
      order[at] = row;
      starts[leaf] = at + 1;
    });
    return order;
  }

  /** The leaf whose box holds the query (on a split value: the left one). */
  private leafOf(query: Float64Array, offset: number): number {
    const { nodes, d } = this;
    let node = 0;
    for (let left = nodes.left[0] ?? -1; left >= 0; left = nodes.left[node] ?? -1) {
      const dim = nodes.dim[node] ?? 0;
      const v = query[offset + dim] ?? 0;
      node = v <= (nodes.hi[left * d + dim] ?? 0) ? left : (nodes.right[node] ?? 0);
    }
    return node;
  }

  private heapOf(k: number): Heap {
    if (this.heap.dist.length < k)
      this.heap = { dist: new Float64Array(k), index: new Int32Array(k), size: 0 };
    return this.heap;
  }

  /**
   * Depth-first, nearer child first. `bound2` is a lower bound of the squared distance to
   * anything below `node`; the far child is first tested against the split gap alone
   * (one dimension), and only then against its full bounding box.
   */
  private searchKnn(node: number, bound2: number, query: Float64Array, offset: number, k: number): void {
    const { nodes, d } = this;
    if (bound2 > this.worst(k)) return;
    const left = nodes.left[node] ?? -1;
    if (left < 0) {
      this.scanLeaf(node, query, offset, k);
      return;
    }
    const right = nodes.right[node] ?? 0;
    const dim = nodes.dim[node] ?? 0;
    const v = query[offset + dim] ?? 0;
    const aboveLeft = v - (nodes.hi[left * d + dim] ?? 0);
    const belowRight = (nodes.lo[right * d + dim] ?? 0) - v;
    const nearLeft = aboveLeft <= belowRight;
    this.searchKnn(nearLeft ? left : right, bound2, query, offset, k);
    const gap = Math.max(0, nearLeft ? belowRight : aboveLeft);
    if (gap * gap > this.worst(k)) return;
    const far = nearLeft ? right : left;
    this.searchKnn(far, boxDistance2(nodes, far, d, query, offset), query, offset, k);
  }

  /** Squared distance a candidate must beat: the k-th best so far, or the bound until k are found. */
  private worst(k: number): number {
    return this.heap.size < k ? this.bound2 : (this.heap.dist[0] ?? Infinity);
  }

  /**
   * Offers the leaf's points to the heap. A point's squared distance is summed dimension by
   * dimension and given up once past the current worst: it could no longer be taken.
   */
  private scanLeaf(node: number, query: Float64Array, offset: number, k: number): void {
    if (this.d === 7) {
      this.scanLeaf7(node, query, offset, k);
      return;
    }
    const { points, d } = this;
    const end = this.nodes.end[node] ?? 0;
    let worst = this.worst(k);
    for (let p = this.nodes.start[node] ?? 0; p < end; p++) {
      let dist2 = 0;
      for (let j = 0, base = p * d; j < d && !(dist2 > worst); j++) {
        const diff = (query[offset + j] ?? 0) - (points[base + j] ?? 0);
        dist2 += diff * diff;
      }
      worst = this.offer(dist2, p, k, worst);
    }
  }

  /**
   * Offers the point at tree position `p` to the heap: taken while fewer than k are held,
   * then only when strictly closer than the current worst. Returns the worst after it.
   */
  private offer(dist2: number, p: number, k: number, worst: number): number {
    const { heap } = this;
    if (dist2 > worst) return worst;
    if (heap.size < k) siftUp(heap, heap.size++, dist2, p);
    else if (dist2 < worst) siftDown(heap, dist2, p);
    else return worst;
    return this.worst(k);
  }

  /**
   * {@link scanLeaf} for seven dimensions, the structuring window features: the query stays
   * in locals, no loop over the dimensions, and a point is given up after four of them once
   * past the worst. The sums are added in the same order as the general loop, so the
   * neighbours and distances are the same; about a quarter faster for LOF on structuring windows.
   */
  private scanLeaf7(node: number, query: Float64Array, offset: number, k: number): void {
    const { points } = this;
    const [q0, q1, q2, q3] = [
      query[offset] ?? 0,
      query[offset + 1] ?? 0,
      query[offset + 2] ?? 0,
      query[offset + 3] ?? 0,
    ];
    const [q4, q5, q6] = [query[offset + 4] ?? 0, query[offset + 5] ?? 0, query[offset + 6] ?? 0];
    const end = this.nodes.end[node] ?? 0;
    let worst = this.worst(k);
    for (let p = this.nodes.start[node] ?? 0; p < end; p++) {
      const head = squaredHead4(points, p * 7, q0, q1, q2, q3);
      if (head > worst) continue;
      worst = this.offer(squaredTail3(points, p * 7, head, q4, q5, q6), p, k, worst);
    }
  }

  private distance2(pos: number, query: Float64Array, offset: number): number {
    let sum = 0;
    const base = pos * this.d;
    for (let j = 0; j < this.d; j++) {
      const diff = (query[offset + j] ?? 0) - (this.points[base + j] ?? 0);
      sum += diff * diff;
    }
    return sum;
  }
}

/** Nodes a median-split tree over `n` points needs (at most 2 distinct sizes per level). */
function nodeCount(n: number, leafSize: number, memo = new Map<number, number>()): number {
  if (n <= leafSize) return 1;
  const known = memo.get(n);
  if (known !== undefined) return known;
  const half = n >> 1;
  const count = 1 + nodeCount(half, leafSize, memo) + nodeCount(n - half, leafSize, memo);
  memo.set(n, count);
  return count;
}

function allocateNodes(capacity: number, d: number): Nodes {
  return {
    start: new Int32Array(capacity),
    end: new Int32Array(capacity),
    left: new Int32Array(capacity).fill(-1),
    right: new Int32Array(capacity).fill(-1),
    dim: new Int32Array(capacity),
    lo: new Float64Array(capacity * d),
    hi: new Float64Array(capacity * d),
  };
}

/** Builds the tree breadth-first with median splits on the widest dimension; returns the node count. */
function buildNodes(rows: Rows, order: Int32Array, nodes: Nodes, leafSize: number): number {
  let count = 1;
  nodes.end[0] = rows.n;
  for (let node = 0; node < count; node++) {
    const start = nodes.start[node] ?? 0;
    const end = nodes.end[node] ?? 0;
    const widest = setBounds(rows, order, nodes, node);
    if (end - start <= leafSize || widest < 0) continue;
    const mid = (start + end) >> 1;
    selectNth(rows, order, start, end, mid, widest);
    for (const [child, from, to] of [
      [count, start, mid],
      [count + 1, mid, end],
    ] as const) {
      nodes.start[child] = from;
      nodes.end[child] = to;
    }
    nodes.dim[node] = widest;
    nodes.left[node] = count;
    nodes.right[node] = count + 1;
    count += 2;
  }
  return count;
}

/** Sets the node's bounding box; returns the dimension of largest spread, or -1 if all equal. */
function setBounds(rows: Rows, order: Int32Array, nodes: Nodes, node: number): number {
  const { d, data } = rows;
  const base = node * d;
  nodes.lo.fill(Infinity, base, base + d);
  nodes.hi.fill(-Infinity, base, base + d);
  for (let p = nodes.start[node] ?? 0; p < (nodes.end[node] ?? 0); p++) {
    const row = (order[p] ?? 0) * d;
    for (let j = 0; j < d; j++) {
      const v = data[row + j] ?? 0;
      if (v < (nodes.lo[base + j] ?? 0)) nodes.lo[base + j] = v;
      if (v > (nodes.hi[base + j] ?? 0)) nodes.hi[base + j] = v;
    }
  }
  let widest = -1;
  let spread = 0;
  for (let j = 0; j < d; j++) {
    const s = (nodes.hi[base + j] ?? 0) - (nodes.lo[base + j] ?? 0);
    if (s > spread) [widest, spread] = [j, s];
  }
  return widest;
}

/** Quickselect on `order[start..end)` so position `nth` holds the median along `dim`. */
function selectNth(
  rows: Rows,
  order: Int32Array,
  start: number,
  end: number,
  nth: number,
  dim: number,
): void {
  const key = (p: number): number => rows.data[(order[p] ?? 0) * rows.d + dim] ?? 0;
  let lo = start;
  let hi = end - 1;
  while (lo < hi) {
    const pivot = key((lo + hi) >> 1);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (key(i) < pivot) i++;
      while (key(j) > pivot) j--;
      if (i <= j) swap(order, i++, j--);
    }
    if (nth <= j) hi = j;
    else if (nth >= i) lo = i;
    else return;
  }
}

function swap(a: Int32Array, i: number, j: number): void {
  const t = a[i] ?? 0;
  a[i] = a[j] ?? 0;
  a[j] = t;
}

/** Squared distance from the query to the node's bounding box (0 inside). */
function boxDistance2(nodes: Nodes, node: number, d: number, query: Float64Array, offset: number): number {
  let sum = 0;
  const base = node * d;
  for (let j = 0; j < d; j++) {
    const q = query[offset + j] ?? 0;
    const below = (nodes.lo[base + j] ?? 0) - q;
    const above = q - (nodes.hi[base + j] ?? 0);
    const gap = below > 0 ? below : above > 0 ? above : 0;
    sum += gap * gap;
  }
  return sum;
}

/** Squared distance over dimensions 0–3 between the point at `points[b ..]` and (q0, q1, q2, q3). */
function squaredHead4(
  points: Float64Array,
  b: number,
  q0: number,
  q1: number,
  q2: number,
  q3: number,
): number {
  const a0 = q0 - (points[b] ?? 0);
  const a1 = q1 - (points[b + 1] ?? 0);
  const a2 = q2 - (points[b + 2] ?? 0);
  const a3 = q3 - (points[b + 3] ?? 0);
  return a0 * a0 + a1 * a1 + a2 * a2 + a3 * a3;
}

/** `head` plus the squared distance over dimensions 4–6, added one by one as the general loop does. */
function squaredTail3(
  points: Float64Array,
  b: number,
  head: number,
  q4: number,
  q5: number,
  q6: number,
): number {
  const a4 = q4 - (points[b + 4] ?? 0);
  const a5 = q5 - (points[b + 5] ?? 0);
  const a6 = q6 - (points[b + 6] ?? 0);
  return head + a4 * a4 + a5 * a5 + a6 * a6;
}
