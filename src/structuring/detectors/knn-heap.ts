/** Reusable max-heap of the best `k` squared distances found so far for one query. */
export interface Heap {
  readonly dist: Float64Array;
  readonly index: Int32Array;
  size: number;
}

/** Inserts at free position `at`, moving larger parents down (heap grows by one). */
export function siftUp(heap: Heap, at: number, dist2: number, pos: number): void {
  let i = at;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if ((heap.dist[parent] ?? 0) >= dist2) break;
    heap.dist[i] = heap.dist[parent] ?? 0;
    heap.index[i] = heap.index[parent] ?? 0;
    i = parent;
  }
  heap.dist[i] = dist2;
  heap.index[i] = pos;
}

/** Replaces the root (the current worst) and restores the max-heap order. */
export function siftDown(heap: Heap, dist2: number, pos: number): void {
  let i = 0;
  for (;;) {
    let child = 2 * i + 1;
    if (child >= heap.size) break;
    if (child + 1 < heap.size && (heap.dist[child + 1] ?? 0) > (heap.dist[child] ?? 0)) child++;
    if ((heap.dist[child] ?? 0) <= dist2) break;
    heap.dist[i] = heap.dist[child] ?? 0;
    heap.index[i] = heap.index[child] ?? 0;
    i = child;
  }
  heap.dist[i] = dist2;
  heap.index[i] = pos;
}

/** Empties the heap into ascending order, converting to distances and original indices. */
export function drainSorted(
  heap: Heap,
  outDist: Float64Array,
  outIndex: Int32Array,
  order: Int32Array,
): number {
  const found = heap.size;
  for (let last = found - 1; last >= 0; last--) {
    outDist[last] = Math.sqrt(heap.dist[0] ?? 0);
    outIndex[last] = order[heap.index[0] ?? 0] ?? 0;
    heap.size = last;
    if (last > 0) siftDown(heap, heap.dist[last] ?? 0, heap.index[last] ?? 0);
  }
  return found;
}
