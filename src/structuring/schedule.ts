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
import type { RunParams } from './structuring.js';

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

/** The last arrival (`seq`) the previous batch covered; null when no batch covered any. */
async function coveredSeq(db: Kysely<Database>): Promise<number | null> {
  const run = await lastCoveredRun(db);
  if (run === undefined) return null;
  const { toSeq } = JSON.parse(run.source) as { toSeq?: unknown };
  return typeof toSeq === 'number' ? toSeq : legacyCoveredSeq(db, run);
}

/**
 * A batch stored before batches recorded their last arrival (only its newest event time,
 * `covered_to`): it covered what had arrived when it started, less {@link LEGACY_MARGIN_MS}.
 */
async function legacyCoveredSeq(db: Kysely<Database>, run: RunRow): Promise<number | null> {
  const row = await db
    .selectFrom('transactions')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('received_at', '<', Number(run.started_at) - LEGACY_MARGIN_MS)
    .executeTakeFirst();
  return row?.seq === null || row?.seq === undefined ? null : Number(row.seq);
}

/** The transactions that arrived after `afterSeq`: the last one's `seq`, and their earliest event time. */
interface Arrivals {
  readonly toSeq: number;
  readonly earliest: number;
}

/** {@link Arrivals} after `afterSeq` (every transaction when null); null when there are none. */
async function arrivalsAfter(db: Kysely<Database>, afterSeq: number | null): Promise<Arrivals | null> {
  let query = db
    .selectFrom('transactions')
    .select((eb) => [eb.fn.max('seq').as('toSeq'), eb.fn.min('event_time').as('earliest')]);
  if (afterSeq !== null) query = query.where('seq', '>', afterSeq);
  const row = await query.executeTakeFirst();
  if (row?.toSeq === null || row?.toSeq === undefined) return null;
  return { toSeq: Number(row.toSeq), earliest: Number(row.earliest) };
}

/** One micro-batch; null when no transaction arrived after the previous batch. */
export async function runMicroBatch(o: MicroBatchOptions): Promise<RunSummary | null> {
  const previous = await coveredSeq(o.db);
  const arrivals = await arrivalsAfter(o.db, previous);
  if (arrivals === null) return null;
  const longest = Math.max(...o.params.windows.map((w) => w.hours));
  const lookbackMs = Math.max(longest, o.lookbackHours ?? DEFAULT_LOOKBACK_HOURS) * 3_600_000;
  // The first batch covers every transaction; a later one the windows the arrivals are in.
  const range = previous === null ? {} : { from: arrivals.earliest - lookbackMs };
  const scoreAfter = previous === null ? {} : { scoreAfter: arrivals.earliest - 1 };
  return runStructuring({
    db: o.db,
    source: { kind: 'store', ...range, toSeq: arrivals.toSeq },
    params: { ...o.params, ...scoreAfter },
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
