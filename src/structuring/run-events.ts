/**
 * What a finished run tells the rest of the service: its durations to a Prometheus
 * histogram, and one `structuring.alert` webhook event when it stored new alerts (one event
 * per run, not per window: a year of logs can raise millions).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { EmitWebhook } from '../webhooks/webhook-events.js';
import { listAlerts } from './structuring.repository.js';
import { CONSENSUS_METHOD } from './structuring.js';

/** Optional observers of a run, wired by the API or the CLI. */
export interface RunHooks {
  /** Queues `structuring.alert` for subscribers (the webhook outbox). */
  readonly emit?: EmitWebhook;
  /** Observes seconds by detector (`all` for the whole run), e.g. `centinela_structuring_run_seconds`. */
  readonly observe?: (detector: string, seconds: number) => void;
}

/** The part of a run summary announcements use. */
export interface FinishedRun {
  readonly id: string;
  readonly rows: number;
  readonly windows: number;
  readonly method_counts: Readonly<Record<string, number>>;
  readonly stored_alerts: number;
  readonly durations_ms: Readonly<Record<string, number>>;
}

/** Consensus windows included in the event, newest window first. */
const TOP_CONSENSUS = 20;

const iso = (ms: number) => new Date(Number(ms)).toISOString();

/** The `data` of a `structuring.alert` event. */
export async function alertEventOf(db: Kysely<Database>, run: FinishedRun, source: unknown) {
  const consensus = await listAlerts(db, { runId: run.id, method: CONSENSUS_METHOD, limit: TOP_CONSENSUS });
  return {
    run_id: run.id,
    source,
    rows: run.rows,
    windows: run.windows,
    new_alerts: run.stored_alerts,
    flagged_windows: run.method_counts,
    run_url: `/v1/structuring/runs/${run.id}`,
    report_url: `/v1/structuring/runs/${run.id}/report`,
    alerts_url: `/v1/structuring/alerts?run_id=${run.id}`,
    top_consensus: consensus.map((a) => ({
      scope: a.scope,
      window_length: a.window_length,
      user_id: a.user_id,
      merchant_id: a.merchant_id,
      transaction_id: a.transaction_id,
      methods: Number(a.votes),
      window_start: iso(a.window_start),
      window_end: iso(a.window_end),
    })),
  };
}

/**
 * Observes the run's durations (`all` and each method) and, when it stored new alerts,
 * queues one `structuring.alert` event. Resolves once the event is durably queued.
 */
export async function announceRun(
  db: Kysely<Database>,
  run: FinishedRun,
  source: unknown,
  hooks: RunHooks,
): Promise<void> {
  if (hooks.observe) {
    hooks.observe('all', (run.durations_ms.total ?? 0) / 1000);
    for (const [key, ms] of Object.entries(run.durations_ms)) {
      if (key.startsWith('method_')) hooks.observe(key.slice('method_'.length), ms / 1000);
    }
  }
  if (hooks.emit && run.stored_alerts > 0) {
    await hooks.emit('structuring.alert', await alertEventOf(db, run, source));
  }
}
