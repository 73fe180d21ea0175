/**
 * Micro-batches over the stored transactions: each batch loads the transactions since the
 * last batch's newest one, plus a lookback so windows and models see their history, and
 * stores alerts only for windows ending after the last batch. Alert keys share the
 * `store` namespace, so a window already alerted is never stored twice.
 */
import type { Kysely } from 'kysely';
import { ValidationError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { RunHooks } from './run-events.js';
import { runStructuring, SCHEDULE_NAMESPACE, type RunOptions, type RunSummary } from './run.js';
import { lastCoveredRun } from './structuring.repository.js';
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

/** Newest event time stored, or null when there is none after `after`. */
async function newestAfter(db: Kysely<Database>, after: number | null): Promise<number | null> {
  let query = db.selectFrom('transactions').select((eb) => eb.fn.max('event_time').as('newest'));
  if (after !== null) query = query.where('event_time', '>', after);
  const row = await query.executeTakeFirst();
  return row?.newest === null || row?.newest === undefined ? null : Number(row.newest);
}

/** One micro-batch; null when no transaction arrived after the previous batch. */
export async function runMicroBatch(o: MicroBatchOptions): Promise<RunSummary | null> {
  const previous = (await lastCoveredRun(o.db))?.covered_to ?? null;
  if ((await newestAfter(o.db, previous)) === null) return null;
  const longest = Math.max(...o.params.windows.map((w) => w.hours));
  const lookbackMs = Math.max(longest, o.lookbackHours ?? DEFAULT_LOOKBACK_HOURS) * 3_600_000;
  const from = previous === null ? undefined : previous - lookbackMs;
  return runStructuring({
    db: o.db,
    source: { kind: 'store', ...(from === undefined ? {} : { from }) },
    params: { ...o.params, ...(previous === null ? {} : { scoreAfter: previous }) },
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
