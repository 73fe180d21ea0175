import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DecisionResult } from '../transactions/decision.js';
import type { Backlog } from '../transactions/ingestion.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RUN_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return new Counter<L>({ name, help, labelNames, registers: [registry] });
}

function gauge<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
  return new Gauge<L>({ name, help, labelNames, registers: [registry] });
}

function histogram<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  buckets = LATENCY_BUCKETS,
) {
  return new Histogram<L>({ name, help, labelNames, buckets, registers: [registry] });
}

/**
 * Every Prometheus metric of Centinela, on its own registry. One instance is created in
 * `main.ts` and passed to whoever observes: no module-level singleton, so tests and
 * several services in one process never mix their numbers.
 *
 * @example metrics.faceInferenceSeconds.observe({ operation: 'verify' }, seconds);
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly collectors: (() => Promise<void>)[] = [];
  /** HTTP requests by method, route pattern and status. */
  readonly httpRequests = counter(
    this.registry,
    'centinela_http_requests_total',
    'HTTP requests answered, by method, route pattern and status',
    ['method', 'route', 'status'],
  );
  readonly httpDuration = histogram(
    this.registry,
    'centinela_http_request_duration_seconds',
    'Time to answer an HTTP request, by method and route pattern',
    ['method', 'route'],
    LATENCY_BUCKETS,
  );
  readonly decisions = counter(
    this.registry,
    'centinela_decisions_total',
    'Durable transaction decisions by outcome',
    ['decision'],
  );
  readonly decisionLatency = histogram(
    this.registry,
    'centinela_decision_latency_seconds',
    'From arrival to durable decision (latency_ms of each decision)',
    [],
    LATENCY_BUCKETS,
  );
  readonly ruleHits = counter(this.registry, 'centinela_rule_hits_total', 'Rules that matched, by rule id', [
    'rule_id',
  ]);
  readonly ruleErrors = counter(
    this.registry,
    'centinela_rule_errors_total',
    'Rules that failed to evaluate on a transaction, by rule id',
    ['rule_id'],
  );
  /** Time to score one transaction with a model (`role`: active or shadow). */
  readonly modelLatency = histogram(
    this.registry,
    'centinela_model_latency_seconds',
    'Model scoring time per transaction, by role (active, shadow)',
    ['role'],
    [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  );
  /** Messages waiting for a consumer (set by the stream consumers). */
  readonly consumerLag = gauge(
    this.registry,
    'centinela_consumer_lag',
    'Messages not yet processed, by stream consumer',
    ['consumer'],
  );
  /** Messages parked in a dead-letter queue (set by the stream consumers). */
  readonly deadLetters = gauge(
    this.registry,
    'centinela_dead_letters',
    'Messages in a dead-letter queue, by queue',
    ['queue'],
  );
  readonly faceInferenceSeconds = histogram(
    this.registry,
    'centinela_face_inference_seconds',
    'Face engine inference time, by operation (detect, embed, liveness, verify, compare)',
    ['operation'],
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly structuringRunSeconds = histogram(
    this.registry,
    'centinela_structuring_run_seconds',
    'Structuring analysis run duration, by detector (or "all")',
    ['detector'],
    RUN_BUCKETS,
  );
  readonly webhookDeliveries = counter(
    this.registry,
    'centinela_webhook_deliveries_total',
    'Webhook delivery attempts by event and outcome (delivered, retry, failed)',
    ['event', 'outcome'],
  );
  readonly rateLimited = counter(
    this.registry,
    'centinela_rate_limited_total',
    'Requests refused with 429 by the per-key rate limit',
    [],
  );

  /** @param processMetrics also export Node's process metrics (CPU, memory, event loop lag). */
  constructor(processMetrics = true) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'centinela_' });
  }

  /** Counts a batch of durable decisions: outcomes, latency, rule hits and rule errors. */
  observeDecisions(results: readonly DecisionResult[]): void {
    for (const result of results) {
      this.decisions.inc({ decision: result.decision });
      this.decisionLatency.observe(result.latency_ms / 1000);
      for (const reason of result.reasons) {
        if (!reason.rule_id.startsWith('model:')) this.ruleHits.inc({ rule_id: reason.rule_id });
      }
      for (const failure of result.rule_errors) this.ruleErrors.inc({ rule_id: failure.rule_id });
    }
  }

  /** Sets the consumer lag and dead-letter gauges from an ingestion's backlog. */
  private observeBacklog(backlog: Backlog): void {
    this.consumerLag.set({ consumer: 'workers' }, backlog.lag);
    if (backlog.deadLetters !== undefined) this.deadLetters.set({ queue: 'dlq' }, backlog.deadLetters);
  }

  /**
   * Reads the backlog before every scrape; while it cannot be read the gauges are left out: a
   * last value shown would hide a growing lag.
   */
  addBacklogCollector(read: () => Promise<Backlog>): void {
    this.addCollector(() =>
      read().then(
        (backlog) => this.observeBacklog(backlog),
        (error: unknown) => {
          this.consumerLag.reset();
          this.deadLetters.reset();
          throw error;
        },
      ),
    );
  }

  /** Runs `collect` before every scrape and `refresh()`, e.g. to read a queue's depth. */
  addCollector(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  /** Brings collected gauges up to date; a failing collector leaves its last values. */
  async refresh(): Promise<void> {
    await Promise.all(this.collectors.map((collect) => collect().catch(() => undefined)));
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    await this.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
