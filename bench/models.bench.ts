import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { DataRecord } from '../src/models/dataset.js';
import { BEHAVIOURAL_SCHEMA, generateBehavioural } from '../src/models/generators/behavioural.generator.js';
import type { Algorithm, TrainedModel } from '../src/models/model.js';
import { trainModel } from '../src/models/train.js';
import { median, printTable, writeResult } from './lib.js';

const ACCOUNTS = Number(process.env.BENCH_MODEL_ACCOUNTS ?? 400);
const NN_EPOCHS = Number(process.env.BENCH_NN_EPOCHS ?? 5);
const BATCH_RECORDS = 50_000;
const BATCH_RUNS = 5;
const SINGLE_CALLS = 20_000;
const WARMUP_CALLS = 2_000;

/** One algorithm's inference figures. */
interface InferenceResult {
  readonly algorithm: Algorithm;
  readonly training_ms: number;
  readonly pr_auc: number;
  /** Rows per CPU second of this process, per run, and their median. */
  readonly batch_rates_per_cpu_s: number[];
  readonly batch_median_per_cpu_s: number;
  /** Rows per wall-clock second (lower when other processes share the cores). */
  readonly batch_rates_per_wall_s: number[];
  readonly batch_median_per_wall_s: number;
  readonly single_p50_ms: number;
  readonly single_p99_ms: number;
}

/**
 * Model inference on one core: trains a GBDT (the default) and the network on behavioural
 * data, then measures batch scoring (`predict` over ~50k records, median of 5 runs) and
 * single-transaction latency (`predictOne`, p50/p99 over 20k calls).
 */
export async function runModelsBench(): Promise<{ results: InferenceResult[] }> {
  const records = generateBehavioural({ accounts: ACCOUNTS, seed: 11 });
  const batch = repeatTo(records, BATCH_RECORDS);
  console.log(`  ${records.length} behavioural records for training, ${batch.length} for batch scoring`);
  const results: InferenceResult[] = [];
  for (const algorithm of ['gbdt', 'nn'] as const) {
    const trained = await trainModel({
      records,
      algorithm,
      seed: 3,
      schema: BEHAVIOURAL_SCHEMA,
      epochs: NN_EPOCHS,
    });
    const rates = batchRates(trained.model, batch);
    const latencies = singleLatencies(trained.model, batch);
    results.push({
      algorithm,
      training_ms: Math.round(trained.trainingMs),
      pr_auc: Number(trained.metrics.prAuc.toFixed(4)),
      batch_rates_per_cpu_s: rates.cpu.map(Math.round),
      batch_median_per_cpu_s: Math.round(median(rates.cpu)),
      batch_rates_per_wall_s: rates.wall.map(Math.round),
      batch_median_per_wall_s: Math.round(median(rates.wall)),
      single_p50_ms: round3(percentile(latencies, 0.5)),
      single_p99_ms: round3(percentile(latencies, 0.99)),
    });
  }
  printTable(
    'Model inference (one core; targets: >= 50,000 tx/s in batches, < 1 ms single)',
    results.map((r) => ({
      algorithm: r.algorithm,
      'batch tx/s per core (CPU time)': r.batch_median_per_cpu_s,
      'batch tx/s (wall)': r.batch_median_per_wall_s,
      'single p50 ms': r.single_p50_ms,
      'single p99 ms': r.single_p99_ms,
      'held-out PR-AUC': r.pr_auc,
    })),
  );
  const result = {
    load_average_1m: Number(loadavg()[0]?.toFixed(2)),
    training_records: records.length,
    nn_epochs: NN_EPOCHS,
    batch_records: batch.length,
    batch_runs: BATCH_RUNS,
    single_calls: SINGLE_CALLS,
    results,
  };
  writeResult('models', result);
  return result;
}

/**
 * Rows per second of `predict` over the whole batch, once per run: per wall-clock second and
 * per CPU second of this process (the per-core rate, unaffected by other processes sharing
 * the cores; GC threads count too, so it errs low).
 */
function batchRates(model: TrainedModel, batch: readonly DataRecord[]): { wall: number[]; cpu: number[] } {
  model.predict(batch.slice(0, 1_000)); // warm-up
  const rates = { wall: [] as number[], cpu: [] as number[] };
  for (let run = 0; run < BATCH_RUNS; run++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    model.predict(batch);
    const wallMs = performance.now() - start;
    const cpu = process.cpuUsage(cpuStart);
    rates.wall.push(batch.length / (wallMs / 1000));
    rates.cpu.push(batch.length / ((cpu.user + cpu.system) / 1e6));
  }
  return rates;
}

/** Milliseconds of each of {@link SINGLE_CALLS} `predictOne` calls, after a warm-up. */
function singleLatencies(model: TrainedModel, batch: readonly DataRecord[]): Float64Array {
  for (let i = 0; i < WARMUP_CALLS; i++) model.predictOne(batch[i % batch.length] as DataRecord);
  const latencies = new Float64Array(SINGLE_CALLS);
  for (let i = 0; i < SINGLE_CALLS; i++) {
    const record = batch[(i * 7919) % batch.length] as DataRecord;
    const start = performance.now();
    model.predictOne(record);
    latencies[i] = performance.now() - start;
  }
  return latencies.sort();
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function repeatTo<T>(items: readonly T[], count: number): T[] {
  return Array.from({ length: count }, (_, i) => items[i % items.length] as T);
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
