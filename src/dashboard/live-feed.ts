import type { DecisionResult } from '../transactions/decision.js';
import type { DecisionListener } from '../transactions/ingestion.js';
import type { DecisionChangeListener, DecisionChanged } from '../transactions/transaction.service.js';

/** A decision as the live view shows it: small enough to stream thousands a second. */
export interface LiveDecision {
  readonly transaction_id: string;
  readonly account_id: string;
  readonly decision: DecisionResult['decision'];
  readonly risk_score: number;
  readonly latency_ms: number;
  readonly processed_at: string;
  readonly reasons: readonly string[];
}

/** Counters sent every tick, whether or not anything was decided. */
export interface LiveCounters {
  /** Decisions per second over the last {@link RATE_WINDOW_S} seconds. */
  readonly rate_per_s: number;
  /**
   * Transactions decided since the service started, by their decision now (a step-up that
   * approves a transaction in review moves it from review to approve).
   */
  readonly totals: Readonly<Record<DecisionResult['decision'], number>>;
  readonly at: string;
}

/** One server-sent event: its name and JSON payload. */
export interface LiveEvent {
  readonly event: 'decisions' | 'counters';
  readonly data: unknown;
}

export type LiveClient = (events: readonly LiveEvent[]) => void;

/** Where the feed hears of decisions: new ones, and later changes to them (step-ups). */
export interface DecisionSources {
  readonly subscribe: (listener: DecisionListener) => () => void;
  readonly subscribeChanges?: (listener: DecisionChangeListener) => () => void;
}

export interface LiveFeedOptions {
  /** How often clients get counters and the decisions since the last tick (default 1000 ms). */
  readonly tickMs?: number;
  /** Newest decisions kept per tick; older ones of a busy tick are only counted (default 25). */
  readonly maxDecisionsPerTick?: number;
}

const RATE_WINDOW_S = 10;

/**
 * Fans durable decisions out to dashboard clients once a tick: the newest decisions and
 * the counters, so a browser gets at most one message a tick however busy the service is.
 */
export class LiveFeed {
  private readonly clients = new Set<LiveClient>();
  private readonly totals = { approve: 0, review: 0, decline: 0 };
  /** Decisions per whole second, newest last, for the rate. */
  private readonly perSecond = new Map<number, number>();
  private recent: LiveDecision[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private readonly options: Required<LiveFeedOptions>;
  /** Decisions made before this (ms) are not in the totals, nor are their changes. */
  private readonly startedAt = Date.now();

  constructor(sources: DecisionSources, options: LiveFeedOptions = {}) {
    this.options = { tickMs: 1000, maxDecisionsPerTick: 25, ...options } satisfies Required<LiveFeedOptions>;
    const stopNew = sources.subscribe((results) => this.observe(results));
    const stopChanges = sources.subscribeChanges?.((change) => this.observeChange(change));
    this.unsubscribe = () => {
      stopNew();
      stopChanges?.();
    };
    this.timer = setInterval(() => this.tick(), this.options.tickMs);
    this.timer.unref();
  }

  /** Adds a client; it gets the counters at once. Returns the function that removes it. */
  connect(client: LiveClient): () => void {
    this.clients.add(client);
    client([{ event: 'counters', data: this.counters(Date.now()) }]);
    return () => this.clients.delete(client);
  }

  /** Stops listening; clients are expected to be closed by the caller. */
  stop(): void {
    clearInterval(this.timer);
    this.unsubscribe();
    this.clients.clear();
  }

  private observe(results: readonly DecisionResult[]): void {
    const second = Math.floor(Date.now() / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + results.length);
    for (const result of results) this.totals[result.decision]++;
    if (this.clients.size === 0) return;
    const keep = results.slice(-this.options.maxDecisionsPerTick).map(liveDecisionOf);
    this.recent = [...this.recent, ...keep].slice(-this.options.maxDecisionsPerTick);
  }

  private observeChange(change: DecisionChanged): void {
    if (change.decided_at === null || change.decided_at < this.startedAt || change.from === change.to) return;
    // Only a decision the totals hold can move (one missed while the feed was not listening cannot).
    if (this.totals[change.from] === 0) return;
    this.totals[change.from]--;
    this.totals[change.to]++;
  }

  private tick(): void {
    const now = Date.now();
    for (const second of this.perSecond.keys()) {
      if (second < Math.floor(now / 1000) - RATE_WINDOW_S) this.perSecond.delete(second);
    }
    if (this.clients.size === 0) return;
    const events: LiveEvent[] = [{ event: 'counters', data: this.counters(now) }];
    if (this.recent.length > 0) events.unshift({ event: 'decisions', data: { items: this.recent } });
    this.recent = [];
    for (const client of this.clients) client(events);
  }

  private counters(now: number): LiveCounters {
    const current = Math.floor(now / 1000);
    let count = 0;
    // The last RATE_WINDOW_S whole seconds, the current (partial) one excluded.
    for (const [second, n] of this.perSecond)
      if (second < current && second >= current - RATE_WINDOW_S) count += n;
    return {
      rate_per_s: Math.round((count / RATE_WINDOW_S) * 10) / 10,
      totals: { ...this.totals },
      at: new Date(now).toISOString(),
    };
  }
}

function liveDecisionOf(result: DecisionResult): LiveDecision {
  return {
    transaction_id: result.transaction_id,
    account_id: result.account_id,
    decision: result.decision,
    risk_score: result.risk_score,
    latency_ms: result.latency_ms,
    processed_at: result.processed_at,
    reasons: result.reasons.map((r) => r.code),
  };
}

/** The text of server-sent events, one `event:` / `data:` block each. */
export function formatEvents(events: readonly LiveEvent[]): string {
  return events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');
}
