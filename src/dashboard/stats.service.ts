import type { Kysely } from 'kysely';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { Metrics } from '../observability/metrics.js';
import type { RulesService } from '../rules/rules.service.js';
import type { Database } from '../store/database.js';
import type { Reason } from '../transactions/decision.js';
import {
  countByBucket,
  countByReasons,
  countByRiskBin,
  latencyQuantiles,
  RISK_BINS,
  type OutcomeBucketRow,
  type StatsRange,
} from './stats.repository.js';

/** The windows the overview offers, with the bucket length each is cut into. */
export const WINDOWS = {
  '15m': { ms: 15 * 60_000, bucketMs: 15_000 },
  '1h': { ms: 3_600_000, bucketMs: 60_000 },
  '6h': { ms: 6 * 3_600_000, bucketMs: 5 * 60_000 },
  '24h': { ms: 24 * 3_600_000, bucketMs: 30 * 60_000 },
  '7d': { ms: 7 * 24 * 3_600_000, bucketMs: 3 * 3_600_000 },
} as const;

export type StatsWindow = keyof typeof WINDOWS;

/** Distinct reason texts read for rule hits; beyond it the rarest combinations are left out. */
const MAX_REASON_GROUPS = 5_000;

type Outcome = 'approve' | 'review' | 'decline';

/** What `GET /v1/stats/overview` answers. */
export interface Overview {
  readonly window: StatsWindow;
  readonly from: string;
  readonly to: string;
  readonly bucket_ms: number;
  readonly counts: Readonly<Record<Outcome | 'pending' | 'total', number>>;
  readonly timeline: readonly ({ readonly t: string } & Readonly<Record<Outcome, number>>)[];
  readonly rule_hits: readonly { readonly rule_id: string; readonly count: number }[];
  readonly risk_histogram: readonly { readonly from: number; readonly to: number; readonly count: number }[];
  readonly latency_ms: { readonly p50: number; readonly p99: number } | null;
  /** Messages parked in dead-letter queues; null when nothing reports them (embedded mode). */
  readonly dead_letters: number | null;
  readonly rules: { readonly version: number; readonly name: string | null };
  readonly model: { readonly active: string | null; readonly shadow: string | null };
}

export interface StatsDeps {
  readonly db: Kysely<Database>;
  readonly rules: RulesService;
  readonly models: ModelRegistry;
  readonly metrics: Metrics;
}

/** The range of `window` ending now, aligned on whole buckets so charts do not jitter. */
export function rangeOf(window: StatsWindow, now: number): StatsRange {
  const { ms, bucketMs } = WINDOWS[window];
  const to = (Math.floor(now / bucketMs) + 1) * bucketMs;
  return { from: to - ms, to, bucketMs };
}

/**
 * The dashboard's overview of one window: decisions over time by outcome, rule hits,
 * risk-score distribution, decision latency quantiles and what is live.
 *
 * @example await overview(deps, '1h', Date.now())
 */
export async function overview(deps: StatsDeps, window: StatsWindow, now: number): Promise<Overview> {
  const range = rangeOf(window, now);
  const [buckets, riskBins, reasonGroups, latency, deadLetters] = await Promise.all([
    countByBucket(deps.db, range),
    countByRiskBin(deps.db, range),
    countByReasons(deps.db, range, MAX_REASON_GROUPS),
    latencyQuantiles(deps.db, range, [0.5, 0.99]),
    deadLetterCount(deps.metrics),
  ]);
  const current = deps.rules.current();
  const serving = deps.models.serving();
  return {
    window,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    bucket_ms: range.bucketMs,
    counts: countsOf(buckets),
    timeline: timelineOf(buckets, range),
    rule_hits: ruleHitsOf(reasonGroups),
    risk_histogram: riskBins.map((count, i) => ({
      from: i * 10,
      to: i === RISK_BINS - 1 ? 100 : i * 10 + 10,
      count,
    })),
    latency_ms: latency && { p50: latency[0] ?? 0, p99: latency[1] ?? 0 },
    dead_letters: deadLetters,
    rules: { version: current.version, name: current.document.name ?? null },
    model: { active: serving.active?.version ?? null, shadow: serving.shadow?.version ?? null },
  };
}

function countsOf(rows: readonly OutcomeBucketRow[]): Overview['counts'] {
  const counts = { approve: 0, review: 0, decline: 0, pending: 0, total: 0 };
  for (const row of rows) {
    counts[row.decision ?? 'pending'] += row.n;
    counts.total += row.n;
  }
  return counts;
}

function timelineOf(rows: readonly OutcomeBucketRow[], range: StatsRange): Overview['timeline'] {
  const size = Math.round((range.to - range.from) / range.bucketMs);
  const timeline = Array.from({ length: size }, (_, i) => ({
    t: new Date(range.from + i * range.bucketMs).toISOString(),
    approve: 0,
    review: 0,
    decline: 0,
  }));
  for (const row of rows) {
    const slot = timeline[row.bucket];
    if (slot && row.decision) slot[row.decision] += row.n;
  }
  return timeline;
}

/** Rule hits summed over reason texts; model reasons are counted under `model`. */
export function ruleHitsOf(groups: readonly { reasons: string; n: number }[]): Overview['rule_hits'] {
  const hits = new Map<string, number>();
  for (const group of groups) {
    const ids = new Set((JSON.parse(group.reasons) as Reason[]).map((r) => ruleIdOf(r.rule_id)));
    for (const id of ids) hits.set(id, (hits.get(id) ?? 0) + group.n);
  }
  return [...hits]
    .map(([rule_id, count]) => ({ rule_id, count }))
    .sort((a, b) => b.count - a.count || a.rule_id.localeCompare(b.rule_id));
}

function ruleIdOf(ruleId: string): string {
  return ruleId.startsWith('model:') ? 'model' : ruleId;
}

async function deadLetterCount(metrics: Metrics): Promise<number | null> {
  await metrics.refresh();
  const { values } = await metrics.deadLetters.get();
  return values.length === 0 ? null : values.reduce((sum, v) => sum + v.value, 0);
}
