/**
 * Small seeded generators. Every detector draws from an {@link Rng} so a run is
 * reproducible from its seed. `mulberry32` is the fast default; `mt19937` replays
 * numpy's legacy `RandomState(seed)` stream so sklearn's seeded k-means++ can be
 * reproduced draw for draw (used for the parity tests and available to callers).
 */
export interface Rng {
  /** Next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
}

/** Tommy Ettinger's mulberry32: 32 bits of state, good enough for sampling and splits. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  return {
    nextUint32(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (t ^ (t >>> 14)) >>> 0;
    },
  };
}

const MT_N = 624;
const MT_M = 397;

/** Mersenne Twister seeded like numpy's `RandomState(seed)` (init_genrand). */
export function mt19937(seed: number): Rng {
  const mt = new Uint32Array(MT_N);
  mt[0] = seed >>> 0;
  for (let i = 1; i < MT_N; i++) {
    const prev = mt[i - 1] ?? 0;
    mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
  let pos = MT_N;
  return {
    nextUint32(): number {
      if (pos >= MT_N) {
        twist(mt);
        pos = 0;
      }
      let y = mt[pos++] ?? 0;
      y ^= y >>> 11;
      y ^= (y << 7) & 0x9d2c5680;
      y ^= (y << 15) & 0xefc60000;
      return (y ^ (y >>> 18)) >>> 0;
    },
  };
}

function twist(mt: Uint32Array): void {
  for (let i = 0; i < MT_N; i++) {
    const y = ((mt[i] ?? 0) & 0x80000000) | ((mt[(i + 1) % MT_N] ?? 0) & 0x7fffffff);
    const mag = y & 1 ? 0x9908b0df : 0;
    mt[i] = ((mt[(i + MT_M) % MT_N] ?? 0) ^ (y >>> 1) ^ mag) >>> 0;
  }
}

/** Uniform double in [0, 1) with 53 random bits (numpy's `random_sample`). */
export function nextDouble(rng: Rng): number {
  const a = rng.nextUint32() >>> 5;
  const b = rng.nextUint32() >>> 6;
  return (a * 67108864 + b) / 9007199254740992;
}

/**
 * Uniform integer in [0, n) by masked rejection, as numpy's legacy `randint(n)`, so
 * no modulo bias and the same draws as numpy for `mt19937`.
 */
export function randomInt(rng: Rng, n: number): number {
  if (n <= 1) return 0;
  const max = n - 1;
  let mask = max;
  for (let shift = 1; shift <= 16; shift <<= 1) mask |= mask >>> shift;
  for (;;) {
    const value = (rng.nextUint32() & mask) >>> 0;
    if (value <= max) return value;
  }
}

/**
 * `k` distinct indices of [0, n) in increasing order (Knuth's selection sampling):
 * one pass, no n-sized scratch, and sorted output keeps later row access sequential.
 */
export function sampleIndices(n: number, k: number, rng: Rng): Int32Array {
  const size = Math.max(0, Math.min(n, Math.floor(k)));
  const out = new Int32Array(size);
  let taken = 0;
  for (let i = 0; i < n && taken < size; i++) {
    if ((n - i) * nextDouble(rng) < size - taken) out[taken++] = i;
  }
  return out;
}
