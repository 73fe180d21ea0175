/**
 * A structuring run end to end: load transactions into DuckDB, build the rolling
 * windows, score every window with each detector, store alerts and the consensus, and
 * render the report. The run's row in `structuring_runs` follows it from `running` to
 * `succeeded` or `failed`.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { storeGroupAlerts, topConsensusKeys } from './alerts.js';
import { detectGroup, usesWorkers } from './detect.js';
import { DetectorPool } from './detector-pool.js';
import { openEngine, queryNumber, type Engine } from './duckdb.js';
import { keepScores, writeExport } from './export.js';
import { renderReport } from './report.html.js';
import { announceRun, type RunHooks } from './run-events.js';
import { addGroup, emptyStats } from './report-stats.js';
import { failureText } from './input-errors.js';
import { loadFiles, loadStored } from './source.js';
import { ALERT_CHUNK, failRun, insertRun, updateRun } from './structuring.repository.js';
import { FEATURES, type RunParams, type RunSource } from './structuring.js';
import { buildWindows, featureMaxima, readGroup, type WindowGroup } from './windows.js';

/** Alert namespace of scheduled micro-batches over the store. */
export const SCHEDULE_NAMESPACE = 'store';

/** Stages reported to `onProgress`. */
export type RunStage = 'load' | 'windows' | 'detect' | 'alerts' | 'export';
export type RunProgress = (stage: RunStage, done: number, total: number, detail?: string) => void;

/** A run's inputs and settings; `emit` and `observe` ({@link RunHooks}) announce its end. */
export interface RunOptions extends RunHooks {
  readonly db: Kysely<Database>;
  readonly source: RunSource;
  readonly params: RunParams;
  /**
   * Alert key namespace; default the run id. Micro-batches use {@link SCHEDULE_NAMESPACE}:
   * they skip windows already alerted, and only their `covered_to` is stored.
   */
  readonly namespace?: string;
  /** Write every window with its scores to this `.csv` or `.parquet` file. */
  readonly exportTo?: string;
  /** Worker threads for large groups. Default: the available cores, at most 2 below 4 cores. */
  readonly workers?: number;
  /** DuckDB's memory limit; the window tables live in a scratch file, the rest spills beyond it. Default `2GB`. */
  readonly memoryLimit?: string;
  /** Groups of at least this many windows go to worker threads. Default 200,000. */
  readonly parallelFrom?: number;
  /**
   * The run shares its process with live scoring (the API's runs): no detector runs on the
   * event loop, and alerts are stored in small transactions, so that a scoring commit waits
   * behind tens of milliseconds of alerts, not a second. Results are the same.
   */
  readonly background?: boolean;
  readonly onProgress?: RunProgress;
  /**
   * Called once, just before the run's row takes its final status (succeeded or failed): the
   * API frees the run's slot here, so a client that sees the status can start the next run
   * at once (the engine's close and the run's event come after).
   */
  readonly beforeFinalStatus?: () => void;
}

/** What a finished run reports (also stored in its row). */
export interface RunSummary {
  readonly id: string;
  readonly rows: number;
  readonly windows: number;
  readonly method_counts: Record<string, number>;
  readonly stored_alerts: number;
  readonly durations_ms: Record<string, number>;
  readonly covered_to: number | null;
  readonly report: string;
}

/** Stores a new `running` run and returns its id. */
export async function createRun(db: Kysely<Database>, source: RunSource, params: RunParams): Promise<string> {
  const id = randomUUID();
  await insertRun(db, {
    id,
    status: 'running',
    source: JSON.stringify(source),
    params: JSON.stringify(params),
    started_at: Date.now(),
    finished_at: null,
    row_count: null,
    window_count: null,
    method_counts: null,
    durations: null,
    error: null,
    report: null,
    covered_to: null,
  });
  return id;
}

async function load(engine: Engine, o: RunOptions): Promise<{ rows: number; coveredTo: number | null }> {
  if (o.source.kind === 'files') await loadFiles(engine.connection, o.source.input, o.params.columns);
  else await loadStored(engine.connection, o.db, o.source);
  const rows = await queryNumber(engine.connection, 'SELECT count(*) FROM tx');
  const newest = await queryNumber(engine.connection, 'SELECT coalesce(epoch_ms(max(ts)), -1) FROM tx');
  return { rows, coveredTo: newest < 0 ? null : newest };
}

/**
 * DuckDB's memory limit while the detectors run. They need none of its tables, and on large
 * inputs the pages DuckDB keeps cached after building the windows (up to its limit) would
 * add to the feature matrices and worker threads; the run's own limit is set back before
 * its next query.
 */
const DETECT_MEMORY_LIMIT = '256MB';

/**
 * Alerts per transaction in a background run: one INSERT, tens of milliseconds of the
 * SQLite writer, against about a second for a batch of the default size.
 */
const BACKGROUND_ALERT_BATCH = ALERT_CHUNK;

function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 2));
}

/**
 * Scores one group with every method, in worker threads when it is large. The threads are
 * started for the group and end with it: an idle thread collects no garbage, so threads kept
 * for the whole run held their handles on the previous group's shared feature matrices while
 * the next group's were read (a 10M-row run peaked at 3.93 GiB as the second group was read).
 */
async function detectWithPool(group: WindowGroup, features: Float64Array, o: RunOptions) {
  const parallelFrom = o.parallelFrom ?? 200_000;
  const workers = o.workers ?? defaultWorkers();
  const large = group.n >= parallelFrom && usesWorkers(o.params.methods);
  const threaded = workers > 0 && (large || o.background === true);
  // A small group is one task per method: one thread.
  const pool = threaded ? new DetectorPool(large ? workers : 1) : undefined;
  try {
    return await detectGroup(features, {
      ...o.params,
      windowHours: group.window.hours,
      pool,
      parallelFrom,
      offThread: o.background,
      onMethod: (m, done, total) =>
        o.onProgress?.('detect', done, total, `${group.scope} ${group.window.label} ${m}`),
    });
  } finally {
    await pool?.close();
  }
}

/** Detectors, alerts and statistics for each group in turn. */
async function scoreGroups(engine: Engine, id: string, groups: readonly WindowGroup[], o: RunOptions) {
  const stats = emptyStats(o.params.methods, await featureMaxima(engine.connection, groups, FEATURES));
  const counts: Record<string, number> = {};
  const durations: Record<string, number> = {};
  let stored = 0;
  const time = (key: string, since: number) =>
    (durations[key] = (durations[key] ?? 0) + performance.now() - since);
  for (const group of groups) {
    let t = performance.now();
    const features = await readGroup(engine, group);
    time('read', t);
    const detections = await engine.withMemoryLimit(DETECT_MEMORY_LIMIT, () =>
      detectWithPool(group, features.features, o),
    );
    for (const [m, ms] of Object.entries(detections.durations))
      durations[`method_${m}`] = (durations[`method_${m}`] ?? 0) + ms;
    addGroup(stats, group, features, detections, o.params.minMethods);
    t = performance.now();
    const context = {
      db: o.db,
      runId: id,
      namespace: o.namespace ?? id,
      minMethods: o.params.minMethods,
      scoreAfter: o.params.scoreAfter,
      batch: o.background ? BACKGROUND_ALERT_BATCH : undefined,
    };
    const result = await storeGroupAlerts(engine.connection, group, features.endMs, detections, context);
    for (const [m, c] of Object.entries(result.counts)) counts[m] = (counts[m] ?? 0) + c;
    stored += result.stored;
    if (o.exportTo) await keepScores(engine.connection, group, detections);
    time('alerts', t);
    o.onProgress?.('alerts', group.index + 1, groups.length);
  }
  return { stats, counts, durations, stored };
}

/**
 * Runs the run `id` (created by {@link createRun}); on error marks it failed (`CODE: message`,
 * no file contents; {@link failureText}), drops any alerts it stored, and rethrows.
 * A succeeded run is then announced ({@link announceRun}): durations observed, and one
 * `structuring.alert` event queued when it stored new alerts.
 */
export async function executeRun(id: string, o: RunOptions): Promise<RunSummary> {
  const summary = await analyse(id, o);
  await announceRun(o.db, summary, o.source, o);
  return summary;
}

async function analyse(id: string, o: RunOptions): Promise<RunSummary> {
  const fail = async (error: unknown): Promise<never> => {
    o.beforeFinalStatus?.();
    await failRun(o.db, id, failureText(error));
    throw error;
  };
  // A DuckDB that cannot start (no memory, no scratch space) fails the run too: it showed
  // `running` for ever.
  const engine = await openEngine({ scratchFile: true, memoryLimit: o.memoryLimit ?? '2GB' }).catch(fail);
  const started = performance.now();
  try {
    let t = performance.now();
    o.onProgress?.('load', 0, 1);
    const { rows, coveredTo } = await load(engine, o);
    const durations: Record<string, number> = { load: performance.now() - t };
    o.onProgress?.('load', 1, 1, `${rows} transactions`);
    t = performance.now();
    const groups = await buildWindows(engine.connection, o.params.windows, (done, total) =>
      o.onProgress?.('windows', done, total),
    );
    durations.windows = performance.now() - t;
    // The windows hold all the detectors and alerts need; the transactions' memory goes back.
    await engine.connection.run('DROP TABLE tx');
    const scored = await scoreGroups(engine, id, groups, o);
    Object.assign(durations, scored.durations);
    if (o.exportTo) {
      t = performance.now();
      await writeExport(engine.connection, groups, o.params.methods, o.exportTo);
      durations.export = performance.now() - t;
      o.onProgress?.('export', 1, 1);
    }
    const windows = groups.reduce((sum, g) => sum + g.n, 0);
    const top = await topConsensusKeys(engine.connection);
    durations.total = performance.now() - started;
    const report = renderReport({
      id,
      rows,
      windows,
      source: o.source,
      params: o.params,
      stats: scored.stats,
      top,
      durations,
    });
    o.beforeFinalStatus?.();
    await updateRun(o.db, id, {
      status: 'succeeded',
      finished_at: Date.now(),
      row_count: rows,
      window_count: windows,
      method_counts: JSON.stringify(scored.counts),
      durations: JSON.stringify(roundAll(durations)),
      report,
      // Only micro-batches continue from a run: a file or an ad-hoc range must not move them.
      covered_to: o.namespace === SCHEDULE_NAMESPACE ? coveredTo : null,
    });
    return {
      id,
      rows,
      windows,
      method_counts: scored.counts,
      stored_alerts: scored.stored,
      durations_ms: roundAll(durations),
      covered_to: coveredTo,
      report,
    };
  } catch (error) {
    return await fail(error);
  } finally {
    engine.close();
  }
}

/** Creates and executes a run. */
export async function runStructuring(o: RunOptions): Promise<RunSummary> {
  return executeRun(await createRun(o.db, o.source, o.params), o);
}

function roundAll(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round(v)]));
}
