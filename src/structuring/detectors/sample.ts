import { mulberry32, sampleIndices } from './random.js';
import { takeRows, type Rows } from './rows.js';

/** Rows a model is fitted on: the input itself, or a seeded sample of it. */
export interface FitSample {
  readonly rows: Rows;
  /** Input positions of the sampled rows (increasing); null when every row is used. */
  readonly indices: Int32Array | null;
}

/** Draws at most `size` rows of `rows` without replacement, reproducibly from `seed`. */
export function fitSample(rows: Rows, size: number, seed: number): FitSample {
  if (!(size < rows.n)) return { rows, indices: null };
  const indices = sampleIndices(rows.n, size, mulberry32(seed ^ 0x5eed));
  return { rows: takeRows(rows, indices), indices };
}
