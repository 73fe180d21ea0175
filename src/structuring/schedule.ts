/**
 * Micro-batches over the stored transactions: each batch covers the transactions that
 * arrived (by `transactions.seq`) since the previous batch, whatever their event time. It
 * loads them with the stored transactions from their earliest event time on, plus a lookback
 * so windows and models see their history, and stores alerts only for windows ending at or
 * after that earliest time. Alert keys share the `store` namespace, so a window already
 * alerted is never stored twice.
 */
import type { Kysely } from 'kysely';
import { ValidationError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { RunHooks } from './run-events.js';
import { runStructuring, SCHEDULE_NAMESPACE, type RunOptions, type RunSummary } from './run.js';
import { lastCoveredRun, type RunRow } from './structuring.repository.js';
import type { RunParams, RunSource } from './structuring.js';

/** Default history loaded before the new transactions: 7 days (or the longest window). */
export const DEFAULT_LOOKBACK_HOURS = 168;

/** Options of a micro-batch; `emit` / `observe` announce each batch as any run. */
export interface MicroBatchOptions extends RunHooks {
  readonly db: Kysely<Database>;
  readonly params: RunParams;
  /** History loaded before the new transactions, hours. Default 168 (7 days). */
  readonly lookbackHours?: number;
  readonly workers?: number;
  readonly onProgress?: RunOptions['onProgress'];
}

/**
 * How much earlier than its start a batch of the old kind is taken to have covered arrivals:
 * a transaction received just before it (its commit still on the way, or another machine's
 * clock ahead) is scored again rather than skipped; its alerts are not stored twice.
 */
export const LEGACY_MARGIN_MS = 5 * 60_000;

/** What the previous batch covered, as the next batch reads it. */
interface Covered {
  /** Arrivals after this `seq` are new: the previous batch had not seen them. */
  readonly newAfter: number | null;
  /**
   * Arrivals after this `seq` are looked at again (the previous batch's own, once more): one
   * stored after the previous batch read the table with a lower `seq` than its last (a
   * decision still in a queue, a partition's worker behind) is scored by the next batch.
   */
  readonly againAfter: number | null;
  /** The previous batch's newest event time ({@link MAX_LATE_MS} is counted from it). */
  readonly coveredTo: number | null;
}

/** What the last batch covered; nothing when no batch ran. */
async function covered(db: Kysely<Database>): Promise<Covered> {
  const run = await lastCoveredRun(db);
  if (run === undefined) return { newAfter: null, againAfter: null, coveredTo: null };
  const { toSeq, fromSeq } = JSON.parse(run.source) as { toSeq?: unknown; fromSeq?: unknown };
  let estimate: Promise<number | null> | undefined; // one read of the table, at most
  const estimated = () => (estimate ??= legacyCoveredSeq(db, run));
  const newAfter = typeof toSeq === 'number' ? toSeq : await estimated();
  const againAfter = typeof fromSeq === 'number' ? fromSeq : await estimated();
  return { newAfter, againAfter: lower(againAfter, newAfter), coveredTo: Number(run.covered_to) };
}

const lower = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.min(a, b));

/**
 * The last arrival a batch covered, estimated from its start for a batch that did not record
 * it (stored before batches did, or the first batch, which covered every transaction): what
 * had arrived when it started, less {@link LEGACY_MARGIN_MS}. One read of every transaction.
 */
async function legacyCoveredSeq(db: Kysely<Database>, run: RunRow): Promise<number | null> {
  const row = await db
    .selectFrom('transactions')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('received_at', '<', Number(run.started_at) - LEGACY_MARGIN_MS)
    .executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? null : Number(row.seq);
}

/** The last `seq` stored after `afterSeq` (any when null); null when there is none. */
async function lastSeqAfter(db: Kysely<Database>, afterSeq: number | null): Promise<number | null> {
  let query = db.selectFrom('transactions').select((eb) => eb.fn.max('seq').as('last'));
  if (afterSeq !== null) query = query.where('seq', '>', afterSeq);
  const row = await query.executeTakeFirst();
  return row?.last === null || row?.last === undefined ? null : Number(row.last);
}

/** The earliest event time of the transactions stored after `afterSeq` up to `toSeq`. */
async function earliestAfter(db: Kysely<Database>, afterSeq: number | null, toSeq: number): Promise<number> {
  let query = db
    .selectFrom('transactions')
    .select((eb) => eb.fn.min('event_time').as('earliest'))
    .where('seq', '<=', toSeq);
  if (afterSeq !== null) query = query.where('seq', '>', afterSeq);
  const row = await query.executeTakeFirst();
  return Number(row?.earliest);
}

/**
 * How far before the previous batch's newest event time an arrival may be dated and still be
 * scored as a window's end: one dated years back would make a batch load and score the whole
 * store. An older one is counted in later windows but ends none.
 */
export const MAX_LATE_MS = DEFAULT_LOOKBACK_HOURS * 3_600_000;

/** One micro-batch; null when no transaction arrived after the previous batch. */
export async function runMicroBatch(o: MicroBatchOptions): Promise<RunSummary | null> {
  const previous = await covered(o.db);
  const toSeq = await lastSeqAfter(o.db, previous.newAfter);
  if (toSeq === null) return null;
  const longest = Math.max(...o.params.windows.map((w) => w.hours));
  const lookbackMs = Math.max(longest, o.lookbackHours ?? DEFAULT_LOOKBACK_HOURS) * 3_600_000;
  const source = { kind: 'store', fromSeq: previous.newAfter, toSeq } as const;
  // The first batch covers every transaction; a later one the windows the arrivals are in.
  if (previous.newAfter === null) return runBatch(o, source, {});
  const earliest = await earliestAfter(o.db, previous.againAfter, toSeq);
  const scoreFrom = Math.max(earliest, (previous.coveredTo ?? earliest) - MAX_LATE_MS);
  return runBatch(o, { ...source, from: scoreFrom - lookbackMs }, { scoreAfter: scoreFrom - 1 });
}

function runBatch(
  o: MicroBatchOptions,
  source: RunSource & { kind: 'store' },
  scoring: Partial<Pick<RunParams, 'scoreAfter'>>,
): Promise<RunSummary> {
  return runStructuring({
    db: o.db,
    source,
    params: { ...o.params, ...scoring },
    namespace: SCHEDULE_NAMESPACE,
    workers: o.workers,
    onProgress: o.onProgress,
    emit: o.emit,
    observe: o.observe,
  });
}

/**
 * Runs a micro-batch now and then every `everyMs` until `signal` aborts; a failed batch is
 * reported to `onError` and retried at the next tick (its run row says why it failed).
 */
export async function scheduleMicroBatches(
  o: MicroBatchOptions & {
    readonly everyMs: number;
    readonly signal: AbortSignal;
    readonly onBatch?: (summary: RunSummary | null) => void;
    readonly onError?: (error: unknown) => void;
  },
): Promise<void> {
  while (!o.signal.aborted) {
    try {
      o.onBatch?.(await runMicroBatch(o));
    } catch (error) {
      o.onError?.(error);
    }
    await sleep(o.everyMs, o.signal);
  }
}

/**
 * Waits `ms` (or until `signal` aborts) in steps a Node timer can hold: a longer delay (from
 * about 24.8 days) fires at once, and an interval of 25d ran batches back to back.
 */
async function sleep(ms: number, signal: AbortSignal): Promise<void> {
  for (let left = ms; left > 0 && !signal.aborted; left -= MAX_TIMER_MS) {
    await sleepAtMost(Math.min(left, MAX_TIMER_MS), signal);
  }
}

/** The longest delay of a Node timer (2^31 − 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function sleepAtMost(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const MAX_EVERY_MS = 366 * 86_400_000;

/** Parses `1h`, `30m`, `45s`, `1d` into milliseconds. */
export function parseEvery(spec: string): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(spec.trim());
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match?.[2] ?? ''];
  const ms = match && unit ? Number(match[1]) * unit : NaN;
  if (!(ms >= 1000 && ms <= MAX_EVERY_MS))
    throw new ValidationError(
      [{ field: '--every', code: 'format', message: `'${spec}' is not an interval such as 1h, 30m or 45s.` }],
      `'${spec}' is not an interval such as 1h, 30m or 45s (at least 1 s, at most 366 days).`,
    );
  return ms;
}
