/**
 * Runs the chosen detectors on one group of windows and counts, per window, how many
 * methods flag it (the consensus). Small groups are scored with each detector's exact
 * `fitScore`, in this thread (or, for the service, in a worker thread); large ones are fitted
 * on a seeded sample and scored in chunks across worker threads.
 */
import { performance } from 'node:perf_hooks';
import { fitStandardisation, runDetector, type MethodName, type ScoreResult } from './detectors/index.js';
import type { DetectorPool } from './detector-pool.js';
import { FEATURES } from './structuring.js';
import { sharedFloat64 } from './windows.js';

/** Methods that see standardised features; the others see them as they are. */
const STANDARDISED: ReadonlySet<MethodName> = new Set(['lof', 'dbscan', 'gmm']);
/** Cheap methods always scored in this thread. */
const IN_THREAD: ReadonlySet<MethodName> = new Set(['rules', 'zscore']);

/** Whether any of `methods` is scored in worker threads on a large group (rules and z-score never are). */
export function usesWorkers(methods: readonly MethodName[]): boolean {
  return methods.some((m) => !IN_THREAD.has(m));
}

/** Options the run passes to each detector over its own defaults (documented in the README). */
export const RUN_DETECTOR_OPTIONS: Readonly<Record<MethodName, Readonly<Record<string, unknown>>>> = {
  rules: {},
  zscore: {},
  iforest: { contamination: 0.01 },
  lof: { contamination: 0.01 },
  dbscan: { eps: 0.5, minSamples: 10 },
  gmm: {},
  ecod: {},
};

export interface DetectOptions {
  readonly methods: readonly MethodName[];
  readonly seed: number;
  readonly windowHours: number;
  /** Worker threads for groups of at least `parallelFrom` windows. */
  readonly pool?: DetectorPool;
  /** Default 200,000. */
  readonly parallelFrom?: number;
  /** Rows per worker task. Default 500,000. */
  readonly chunk?: number;
  /**
   * Score smaller groups, and rules and z-score, in a worker of `pool` too (exactly as this
   * thread would): the thread is a service's event loop, which must keep answering.
   */
  readonly offThread?: boolean;
  readonly onMethod?: (method: MethodName, done: number, total: number) => void;
}

export interface GroupDetections {
  readonly results: ReadonlyMap<MethodName, ScoreResult>;
  /** Methods flagging each window. */
  readonly votes: Uint8Array;
  /** Fit + score time of each method, ms. */
  readonly durations: Readonly<Record<string, number>>;
  /** Methods that could not run on this group (too few windows), with the reason. */
  readonly skipped: Readonly<Record<string, string>>;
}

/**
 * Fills NaN features in place for the detectors: a lone transaction has std 0, and no
 * previous transaction counts as a gap of the window length.
 */
export function fillMissing(features: Float64Array, windowHours: number): Float64Array {
  const d = FEATURES.length;
  const fill = [0, 0, 0, 0, windowHours, windowHours, 0];
  for (let p = 0; p < features.length; p++) {
    if (Number.isNaN(features[p])) features[p] = fill[p % d] ?? 0;
  }
  return features;
}

/** z-scores every column (population std) into shared memory. */
export function standardiseShared(data: Float64Array, d: number): Float64Array {
  const { mean, scale } = fitStandardisation({ data, n: data.length / d, d });
  const out = sharedFloat64(data.length);
  for (let p = 0; p < data.length; p++) out[p] = ((data[p] ?? 0) - (mean[p % d] ?? 0)) / (scale[p % d] ?? 1);
  return out;
}

async function scoreInWorkers(
  pool: DetectorPool,
  method: MethodName,
  data: Float64Array,
  options: Readonly<Record<string, unknown>>,
  chunk: number,
): Promise<ScoreResult> {
  const d = FEATURES.length;
  const n = data.length / d;
  const scores = new Float64Array(n);
  const flags = new Uint8Array(n);
  const fitKey = `${method}:${performance.now()}`;
  const tasks = [];
  for (let start = 0; start < n; start += chunk) {
    const end = Math.min(n, start + chunk);
    tasks.push(
      pool.run({ method, options, fitKey, data, d, start, end }).then((r) => {
        scores.set(r.scores, start);
        flags.set(r.flags, start);
      }),
    );
  }
  await Promise.all(tasks);
  return { scores, flags };
}

/** Windows below which model-based methods are skipped (nothing to learn a shape from). */
const MIN_WINDOWS = 10;

/** Scores with `method`; a method that cannot run on so few windows flags none. */
async function scoreOrSkip(
  method: MethodName,
  data: Float64Array,
  options: Readonly<Record<string, unknown>>,
  o: DetectOptions,
  skipped: Record<string, string>,
): Promise<ScoreResult> {
  const d = FEATURES.length;
  const n = data.length / d;
  const none = { scores: new Float64Array(n), flags: new Uint8Array(n) };
  if (n === 0) return none;
  if (!IN_THREAD.has(method) && n < MIN_WINDOWS) {
    skipped[method] = `fewer than ${MIN_WINDOWS} windows`;
    return none;
  }
  if (o.pool && usesWorkers([method]) && n >= (o.parallelFrom ?? 200_000)) {
    return scoreInWorkers(o.pool, method, data, options, o.chunk ?? 500_000);
  }
  if (o.pool && o.offThread)
    return o.pool.run({ method, options, fitKey: '', data, d, start: 0, end: n, whole: true });
  return runDetector(method, { data, n, d }, options);
}

/** Runs `methods` on one group's features (n × 7 on shared memory; NaN filled in place). */
export async function detectGroup(features: Float64Array, o: DetectOptions): Promise<GroupDetections> {
  const d = FEATURES.length;
  const n = features.length / d;
  const raw = fillMissing(features, o.windowHours);
  const scaled = o.methods.some((m) => STANDARDISED.has(m)) ? standardiseShared(raw, d) : raw;
  const results = new Map<MethodName, ScoreResult>();
  const durations: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  const votes = new Uint8Array(n);
  for (const [i, method] of o.methods.entries()) {
    const started = performance.now();
    const data = STANDARDISED.has(method) ? scaled : raw;
    const options = { ...RUN_DETECTOR_OPTIONS[method], seed: o.seed };
    const result = await scoreOrSkip(method, data, options, o, skipped);
    for (let r = 0; r < n; r++) votes[r] = (votes[r] ?? 0) + (result.flags[r] ?? 0);
    results.set(method, result);
    durations[method] = performance.now() - started;
    o.onMethod?.(method, i + 1, o.methods.length);
  }
  return { results, votes, durations, skipped };
}
