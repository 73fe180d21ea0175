import { describe, expect, it } from 'vitest';
import { KdTree } from './neighbours.js';
import { mulberry32, nextDouble } from './random.js';

/** n random rows in d dimensions, clustered, with every tenth row a copy of an earlier one. */
function randomRows(n: number, d: number, seed: number) {
  const rng = mulberry32(seed);
  const random = () => nextDouble(rng);
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const centre = Math.floor(random() * 4);
    for (let j = 0; j < d; j++) data[i * d + j] = centre + random() ** 3 * (j + 1);
    if (i % 10 === 9) data.copyWithin(i * d, (i - 5) * d, (i - 4) * d);
  }
  return { data, n, d };
}

/** Squared distances from row `q` of `queries` to every row of `points`, ascending. */
function bruteForce(
  points: ReturnType<typeof randomRows>,
  queries: ReturnType<typeof randomRows>,
  q: number,
) {
  const out: number[] = [];
  for (let i = 0; i < points.n; i++) {
    let sum = 0;
    for (let j = 0; j < points.d; j++) {
      const diff = (queries.data[q * queries.d + j] ?? 0) - (points.data[i * points.d + j] ?? 0);
      sum += diff * diff;
    }
    out.push(sum);
  }
  return out.sort((a, b) => a - b);
}

describe('KdTree', () => {
  const points = randomRows(3000, 7, 1);
  const queries = randomRows(1500, 7, 2);
  const coordinatesOf = (indices: Int32Array) =>
    Array.from(indices, (i) => points.data.subarray(i * points.d, (i + 1) * points.d).join(',')).sort();

  it.each([1, 5, 20])('knn and knnEach find the k nearest distances of brute force (k = %i)', (k) => {
    const tree = new KdTree(points);
    const dist = new Float64Array(k);
    const index = new Int32Array(k);
    const seen = new Set<number>();
    tree.knnEach(queries, k, (row, eachDist, eachIndex) => {
      seen.add(row);
      const expected = bruteForce(points, queries, row).slice(0, k).map(Math.sqrt);
      expect(Array.from(eachDist)).toEqual(expected);
      expect(tree.knn(queries.data, row * queries.d, k, dist, index)).toBe(k);
      expect(Array.from(dist)).toEqual(expected);
      // The same neighbours, up to which of several copies of a point is taken.
      expect(coordinatesOf(eachIndex)).toEqual(coordinatesOf(index));
    });
    expect(seen.size).toBe(queries.n);
  });

  it('finds the k nearest distances of brute force in other dimensions than seven (general leaf scan)', () => {
    for (const d of [3, 8]) {
      const few = randomRows(800, d, 3);
      const asked = randomRows(100, d, 4);
      const tree = new KdTree(few);
      tree.knnEach(asked, 10, (row, dist) => {
        expect(Array.from(dist)).toEqual(bruteForce(few, asked, row).slice(0, 10).map(Math.sqrt));
      });
    }
  });

  it('answers a row with NaN in knnEach as knn does, and the rows after it exactly', () => {
    const tree = new KdTree(points);
    const rows = { data: queries.data.slice(0, 40 * queries.d), n: 40, d: queries.d };
    rows.data.fill(NaN, 20 * rows.d + 2, 20 * rows.d + 3);
    const dist = new Float64Array(5);
    const index = new Int32Array(5);
    tree.knnEach(rows, 5, (row, eachDist, eachIndex) => {
      tree.knn(rows.data, row * rows.d, 5, dist, index);
      expect(Array.from(eachDist)).toEqual(Array.from(dist));
      if (row === 20) expect(eachDist.every(Number.isNaN)).toBe(true);
      else expect(coordinatesOf(eachIndex)).toEqual(coordinatesOf(index));
    });
  });

  it('counts the points within a radius', () => {
    const tree = new KdTree(points);
    for (let q = 0; q < 50; q++) {
      const distances2 = bruteForce(points, queries, q);
      const radius = Math.sqrt(distances2[10] ?? 0);
      const within = distances2.filter((x) => x <= radius * radius).length;
      expect(tree.countWithin(queries.data, q * queries.d, radius)).toBe(within);
    }
  });
});
