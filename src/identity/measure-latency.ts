import type { FaceEngine } from './face-engine/face-engine.js';

/** Latency summary in milliseconds. */
export interface LatencySummary {
  readonly runs: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Summarises durations (ms). */
export function summarise(durations: readonly number[]): LatencySummary {
  const sorted = [...durations].sort((a, b) => a - b);
  return {
    runs: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * Verification latency: `engine.embed` (decode, detect, align, embed) of each photo in turn,
 * `runs` times after `warmup` untimed calls, one request at a time. For the bench, not tests.
 */
export async function measureEmbedLatency(
  engine: FaceEngine,
  photos: readonly Buffer[],
  runs = 50,
  warmup = 3,
): Promise<LatencySummary> {
  if (photos.length === 0) throw new RangeError('no photos');
  const photo = (i: number): Buffer => photos[i % photos.length] as Buffer;
  for (let i = 0; i < warmup; i++) await engine.embed(photo(i));
  const durations: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await engine.embed(photo(i));
    durations.push(performance.now() - start);
  }
  return summarise(durations);
}
