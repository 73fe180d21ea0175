import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openEngine, queryNumber } from '../src/structuring/duckdb.js';
import { generateLedger } from '../src/structuring/ledger.generator.js';
import type { RunSummary } from '../src/structuring/run.js';
import { loadFiles, readerOf } from '../src/structuring/source.js';
import { DEFAULT_COLUMNS, RUN_DEFAULTS, SCOPES } from '../src/structuring/structuring.js';
import { buildWindows, readGroup, windowSql } from '../src/structuring/windows.js';
import { CENTINELA_COMMAND, median, printTable, writeResult } from './lib.js';

/**
 * Rows to generate and analyse: 1M by default; `BENCH_STRUCTURING_10M=1` adds 10M (several
 * minutes and a ~2 GB scratch file); `BENCH_STRUCTURING_SIZES=…` chooses any sizes.
 */
const SIZES = (
  process.env.BENCH_STRUCTURING_SIZES ??
  (process.env.BENCH_STRUCTURING_10M === '1' ? '1000000,10000000' : '1000000')
)
  .split(',')
  .map(Number);
/** Repeats per size (medians are reported): `BENCH_STRUCTURING_REPEATS`, default 3 up to 2M rows, else 1. */
const repeatsOf = (size: number) =>
  Number(process.env.BENCH_STRUCTURING_REPEATS ?? (size > 2_000_000 ? 1 : 3));
const DIR = join(tmpdir(), 'centinela-bench-structuring');
/** The generator yields about 1.84 transactions per user and day. */
const DAYS = 100;
const GiB = 2 ** 30;
/** The run's DuckDB settings, used for the bare query and the features too. */
const ENGINE = { scratchFile: true, memoryLimit: '2GB' } as const;

/** Samples the resident set size every 50 ms; `stop()` returns the peak in bytes. */
function peakRss() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return { stop: () => (clearInterval(timer), Math.max(peak, process.memoryUsage().rss)) };
}

async function ledgerOf(size: number): Promise<{ file: string; rows: number }> {
  mkdirSync(DIR, { recursive: true });
  const file = join(DIR, `ledger-${size}.parquet`);
  const users = Math.round(size / (1.84 * DAYS));
  if (!existsSync(file)) await generateLedger({ users, days: DAYS, out: file, seed: 11 });
  const engine = await openEngine();
  const rows = await queryNumber(engine.connection, `SELECT count(*) FROM ${readerOf(file)}`);
  engine.close();
  return { file, rows };
}

/** The bare DuckDB window query: every scope's windows straight from the file into a table. */
async function bareQuery(file: string): Promise<number> {
  const engine = await openEngine(ENGINE);
  const started = performance.now();
  const tx = `(SELECT CAST(_id AS VARCHAR) AS tx_id, user_id, merchant_id, CAST(transaction_date AS TIMESTAMP) AS ts,
      transaction_amount AS amount, is_structuring AS label FROM ${readerOf(file)})`;
  for (const scope of SCOPES) {
    const sql = windowSql(scope, RUN_DEFAULTS.windows[0]).replace(/FROM tx\b/, `FROM ${tx}`);
    await engine.connection.run(`CREATE TABLE bare_${scope} AS ${sql}`);
  }
  const seconds = (performance.now() - started) / 1000;
  engine.close();
  return seconds;
}

/** Our features: load into DuckDB, build the windows, read them as typed arrays. */
async function features(file: string): Promise<{ seconds: number; windows: number }> {
  const engine = await openEngine(ENGINE);
  const started = performance.now();
  await loadFiles(engine.connection, file, DEFAULT_COLUMNS);
  const groups = await buildWindows(engine.connection, RUN_DEFAULTS.windows);
  let windows = 0;
  for (const g of groups) windows += (await readGroup(engine, g)).n;
  const seconds = (performance.now() - started) / 1000;
  engine.close();
  return { seconds, windows };
}

/**
 * Peak resident set size of process `pid` so far (`VmHWM`, bytes; Linux), NaN where there is
 * no /proc or the process has ended.
 */
function peakRssOf(pid: number): number {
  try {
    const line = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * The whole run as operators start it: the compiled CLI in its own process, whose peak memory
 * is read from /proc every 100 ms (VmHWM only grows, so the last reading is the peak but for
 * the run's last moments). Measured in this process instead, the peak would mix in what the
 * bare query and the features left behind, or miss what the CLI's own heap settings change.
 */
async function wholeRun(file: string) {
  const dbFile = join(DIR, `bench-${process.pid}.db`);
  const started = performance.now();
  const args = ['structuring', 'run', '--db', dbFile, '--input', file, '--json'];
  const child = spawn(process.execPath, [...CENTINELA_COMMAND, ...args], {
    env: { ...process.env, CENTINELA_SQLITE_SYNCHRONOUS: 'normal' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let peak = NaN;
  const timer = setInterval(() => {
    const now = peakRssOf(child.pid ?? -1);
    if (!Number.isNaN(now)) peak = now;
  }, 100);
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  const seconds = (performance.now() - started) / 1000;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbFile}${suffix}`, { force: true });
  if (code !== 0) throw new Error(`centinela ${args.join(' ')} exited with ${code}`);
  return { summary: JSON.parse(output) as RunSummary, seconds, peak };
}

/** `BENCH_STRUCTURING_FEATURES_ONLY=1`: the bare query and the features only, no detectors. */
const FEATURES_ONLY = process.env.BENCH_STRUCTURING_FEATURES_ONLY === '1';

/** One measurement of every stage on `file` (without detectors: NaN run figures). */
async function measure(file: string, rows: number) {
  const rss = peakRss();
  const bare = await bareQuery(file);
  console.log(`  bare window query: ${bare.toFixed(1)} s`);
  const feat = await features(file);
  console.log(`  features: ${feat.seconds.toFixed(1)} s, ${feat.windows} windows`);
  const featuresPeak = rss.stop();
  if (FEATURES_ONLY) return featuresOnly(bare, feat, featuresPeak);
  const run = await wholeRun(file);
  console.log(`  whole run: ${run.seconds.toFixed(1)} s, peak ${(run.peak / GiB).toFixed(2)} GiB`);
  const d = run.summary.durations_ms;
  const detectorMs = Object.entries(d).filter(([k]) => k.startsWith('method_'));
  const perSecond = (count: number, ms: number) => Math.round(count / (ms / 1000));
  const detectors = Object.fromEntries(
    detectorMs.map(([k, ms]) => [
      k.replace('method_', ''),
      {
        seconds: ms / 1000,
        rows_per_s: perSecond(rows, ms),
        windows_per_s: perSecond(run.summary.windows, ms),
      },
    ]),
  );
  const featuresAndDetectors =
    ((d.load ?? 0) + (d.windows ?? 0) + (d.read ?? 0) + detectorMs.reduce((a, [, ms]) => a + ms, 0)) / 1000;
  return {
    windows: feat.windows,
    bare_query_s: bare,
    features_s: feat.seconds,
    features_and_detectors_s: featuresAndDetectors,
    alerts_stored: run.summary.stored_alerts,
    alerts_store_s: (d.alerts ?? 0) / 1000,
    whole_run_s: run.seconds,
    peak_rss_gib: run.peak / GiB,
    detectors,
    run_durations_ms: d,
  };
}

function featuresOnly(bare: number, feat: { seconds: number; windows: number }, peak: number) {
  return {
    windows: feat.windows,
    bare_query_s: bare,
    features_s: feat.seconds,
    features_and_detectors_s: NaN,
    alerts_stored: NaN,
    alerts_store_s: NaN,
    whole_run_s: NaN,
    peak_rss_gib: peak / GiB,
    detectors: {} as Record<string, { seconds: number; rows_per_s: number; windows_per_s: number }>,
    run_durations_ms: {} as Record<string, number>,
  };
}

type Measurement = Awaited<ReturnType<typeof measure>>;

/** Medians over repeats of every timing (windows and alerts are the same each time). */
function medianOf(all: readonly Measurement[], rows: number) {
  const m = (pick: (x: Measurement) => number) => median(all.map(pick));
  const methods = Object.keys(all[0]?.detectors ?? {});
  const features = m((x) => x.features_s);
  const bare = m((x) => x.bare_query_s);
  return {
    rows,
    repeats: all.length,
    windows: all[0]?.windows ?? 0,
    bare_query_s: bare,
    features_s: features,
    features_rows_per_s: Math.round(rows / features),
    features_vs_bare: features / bare,
    detectors: Object.fromEntries(
      methods.map((method) => {
        const seconds = m((x) => x.detectors[method]?.seconds ?? NaN);
        const windows = all[0]?.windows ?? 0;
        return [
          method,
          { seconds, rows_per_s: Math.round(rows / seconds), windows_per_s: Math.round(windows / seconds) },
        ];
      }),
    ),
    features_and_detectors_s: m((x) => x.features_and_detectors_s),
    alerts_stored: all[0]?.alerts_stored ?? 0,
    alerts_store_s: m((x) => x.alerts_store_s),
    whole_run_s: m((x) => x.whole_run_s),
    peak_rss_gib: Math.max(...all.map((x) => x.peak_rss_gib)),
    runs: all,
  };
}

async function benchSize(size: number) {
  const { file, rows } = await ledgerOf(size);
  const all: Measurement[] = [];
  for (let i = 0; i < repeatsOf(size); i++) all.push(await measure(file, rows));
  return medianOf(all, rows);
}

/** Structuring: features vs the bare DuckDB window query, each detector, whole run, peak memory. */
export async function runStructuringBench() {
  const results = [];
  for (const size of SIZES) {
    console.log(`structuring: ${size} rows…`);
    results.push(await benchSize(size));
  }
  printTable(
    'Structuring (median; 24 h windows per user and per user+merchant, all 7 detectors; peak = max)',
    results.map((r) => ({
      rows: r.rows,
      windows: r.windows,
      'bare query s': r.bare_query_s.toFixed(1),
      'features s': r.features_s.toFixed(1),
      'features rows/s': r.features_rows_per_s,
      'features/bare': r.features_vs_bare.toFixed(2),
      'features+detectors s': r.features_and_detectors_s.toFixed(1),
      'whole run s': r.whole_run_s.toFixed(1),
      'peak GiB': r.peak_rss_gib.toFixed(2),
    })),
  );
  printTable(
    'Detectors (median; rows/s = input transactions per second; fit on a sample, scored in chunks on worker threads)',
    results.flatMap((r) =>
      Object.entries(r.detectors).map(([method, v]) => ({
        rows: r.rows,
        method,
        seconds: v.seconds.toFixed(1),
        'rows/s': v.rows_per_s,
        'windows/s': v.windows_per_s,
      })),
    ),
  );
  writeResult('structuring', { sizes: SIZES, results });
  return results;
}
