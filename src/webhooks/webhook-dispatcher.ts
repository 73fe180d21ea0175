import type { Kysely } from 'kysely';
import type { Metrics } from '../observability/metrics.js';
import type { Database } from '../store/database.js';
import { failureLog } from '../shared/failure-log.js';
import { postWebhook } from './webhook-post.js';
import { signatureHeaders } from './webhook-signature.js';
import { claimDelivery, dueDeliveries, updateDelivery, type DueDelivery } from './webhook.repository.js';

/** Options of the dispatcher; defaults in {@link DISPATCHER_DEFAULTS}. */
export interface DispatcherOptions {
  /** Attempts before a delivery is marked failed. */
  readonly maxAttempts: number;
  /** Delay before the 2nd attempt (ms); doubled for each further one, at most 1 hour. */
  readonly backoffMs: number;
  /** Time the receiver has to answer (ms). */
  readonly timeoutMs: number;
  /** How often the outbox is polled when nothing was emitted here (ms). */
  readonly pollMs: number;
  /** Deliveries sent at once, at most. */
  readonly batchSize: number;
  /** Whether receivers on private, loopback or link-local addresses may be reached. */
  readonly allowPrivateNetworks: boolean;
}

export const DISPATCHER_DEFAULTS = {
  maxAttempts: 8,
  backoffMs: 2000,
  timeoutMs: 5000,
  pollMs: 1000,
  batchSize: 32,
  allowPrivateNetworks: false,
} as const satisfies DispatcherOptions;

const MAX_BACKOFF_MS = 3_600_000;

/**
 * Sends queued webhook deliveries: signed POSTs, exponential backoff on failure (any
 * non-2xx, timeout or network error), a durable record of every attempt. Deliveries live
 * in the store, so what was pending when a process stopped is sent after it restarts, and
 * a claim (a conditional update) keeps two processes from sending the same attempt.
 */
export class WebhookDispatcher {
  private readonly options: DispatcherOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Earliest retry this process scheduled: the next round starts then if before the poll. */
  private wakeAt = Infinity;
  /** Attempts being sent, by delivery id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly logRoundFailure = failureLog('webhook dispatch');
  private readonly logDeliveryFailure = failureLog('webhook delivery');

  constructor(
    private readonly db: Kysely<Database>,
    options: Partial<DispatcherOptions> = {},
    private readonly metrics?: Metrics,
  ) {
    this.options = { ...DISPATCHER_DEFAULTS, ...options };
  }

  /** Starts polling (and sends what is already due). */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** Runs a round now (called when deliveries are queued). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.round()
      .catch(this.logRoundFailure)
      .finally(() => this.scheduleNext());
  }

  /** Stops polling and waits for the attempts in flight (bounded by the timeout). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.inFlight.values());
  }

  private scheduleNext(): void {
    this.running = undefined;
    if (this.stopped) return;
    const delay = this.again ? 0 : Math.max(0, Math.min(this.options.pollMs, this.wakeAt - Date.now()));
    this.again = false;
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref();
  }

  /**
   * Starts the attempts that are due, up to `batchSize` in flight, without waiting for them:
   * a slow receiver holds only its own slot (a round that waited for all its attempts held
   * every other subscriber's deliveries up to the time limit). Each attempt that ends starts
   * another round.
   */
  private async round(): Promise<void> {
    const now = Date.now();
    if (this.wakeAt <= now) this.wakeAt = Infinity; // its deliveries are due: this round takes them
    const room = this.options.batchSize - this.inFlight.size;
    if (room <= 0) return;
    const due = (await dueDeliveries(this.db, now, room + this.inFlight.size))
      .filter((delivery) => !this.inFlight.has(delivery.id))
      .slice(0, room);
    for (const delivery of due) {
      const sending = this.attempt(delivery, now)
        .catch(this.logDeliveryFailure)
        .finally(() => {
          this.inFlight.delete(delivery.id);
          this.kick();
        });
      this.inFlight.set(delivery.id, sending);
    }
    if (due.length === room) this.again = true;
  }

  private async attempt(delivery: DueDelivery, now: number): Promise<void> {
    if (delivery.deleted_at !== null) {
      await updateDelivery(this.db, delivery.id, { status: 'failed', last_error: 'webhook deleted' });
      return;
    }
    if (!(await claimDelivery(this.db, delivery, now + this.options.timeoutMs + 5000))) return;
    const outcome = await this.send(delivery);
    const attempts = Number(delivery.attempts) + 1;
    const common = { attempts, last_status_code: outcome.status, last_error: outcome.error };
    if (outcome.ok) {
      await updateDelivery(this.db, delivery.id, {
        ...common,
        status: 'delivered',
        delivered_at: Date.now(),
      });
    } else if (attempts >= this.options.maxAttempts) {
      await updateDelivery(this.db, delivery.id, { ...common, status: 'failed' });
    } else {
      const nextAt = Date.now() + Math.min(MAX_BACKOFF_MS, this.options.backoffMs * 2 ** (attempts - 1));
      await updateDelivery(this.db, delivery.id, { ...common, next_attempt_at: nextAt });
      this.wakeAt = Math.min(this.wakeAt, nextAt);
    }
    const result = outcome.ok ? 'delivered' : attempts >= this.options.maxAttempts ? 'failed' : 'retry';
    this.metrics?.webhookDeliveries.inc({ event: delivery.event, outcome: result });
  }

  private async send(
    delivery: DueDelivery,
  ): Promise<{ ok: boolean; status: number | null; error: string | null }> {
    try {
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'Centinela-Webhooks/1',
        'x-centinela-event': delivery.event,
        'x-centinela-delivery': delivery.id,
        ...signatureHeaders(delivery.secret, delivery.payload),
      };
      const status = await postWebhook(delivery.url, headers, delivery.payload, this.options);
      const ok = status >= 200 && status < 300;
      return { ok, status, error: ok ? null : `HTTP ${status}` };
    } catch (error) {
      return { ok: false, status: null, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
