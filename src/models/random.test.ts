import { describe, expect, it } from 'vitest';
import { Random } from './random.js';

describe('Random', () => {
  it('repeats its sequence under a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const random = new Random(seed);
      return [random.next(), random.normal(), random.exponential(2), random.int(10)];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws distributions with the right moments', () => {
    const random = new Random(1);
    const n = 20_000;
    const normals = Array.from({ length: n }, () => random.normal(0, 1));
    const mean = normals.reduce((s, v) => s + v, 0) / n;
    const variance = normals.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    const exponentials = Array.from({ length: n }, () => random.exponential(500));
    expect(exponentials.reduce((s, v) => s + v, 0) / n).toBeGreaterThan(480);
    expect(exponentials.reduce((s, v) => s + v, 0) / n).toBeLessThan(520);
  });
});
