import { sql, type Kysely } from 'kysely';
import type { Database } from '../store/database.js';

/** A half-open event-time range [from, to) in ms since the epoch, cut into buckets of `bucketMs`. */
export interface StatsRange {
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
}

export interface OutcomeBucketRow {
  readonly bucket: number;
  readonly decision: 'approve' | 'review' | 'decline' | null;
  readonly n: number;
}

/** Number of risk-score bins: [0,10), [10,20) … [90,100]. */
export const RISK_BINS = 10;

// Literals, not parameters: better-sqlite3 binds JS numbers as REAL, and REAL / INTEGER is
// not integer division. Both values are integers computed here, never user text.
const lit = (n: number) => sql.lit(Math.trunc(n));

function inRange(range: StatsRange) {
  return sql<boolean>`event_time >= ${lit(range.from)} and event_time < ${lit(range.to)}`;
}

/** Transactions per time bucket and outcome (`null`: still pending). Integer arithmetic only. */
export async function countByBucket(db: Kysely<Database>, range: StatsRange): Promise<OutcomeBucketRow[]> {
  const bucket = sql<number>`(event_time - ${lit(range.from)}) / ${lit(range.bucketMs)}`;
  const rows = await db
    .selectFrom('transactions')
    .select([bucket.as('bucket'), 'decision', (eb) => eb.fn.countAll<number>().as('n')])
    .where(inRange(range))
    .groupBy([bucket, 'decision'])
    .execute();
  return rows.map((row) => ({ bucket: Number(row.bucket), decision: row.decision, n: Number(row.n) }));
}

/** Decided transactions per risk-score bin (index 0–9; a score of 100 falls in the last bin). */
export async function countByRiskBin(db: Kysely<Database>, range: StatsRange): Promise<number[]> {
  const cases = Array.from({ length: RISK_BINS - 1 }, (_, i) => RISK_BINS - 1 - i).map(
    (bin) => sql`when risk_score >= ${lit(bin * 10)} then ${lit(bin)}`,
  );
  const bin = sql<number>`case ${sql.join(cases, sql` `)} else 0 end`;
  const rows = await db
    .selectFrom('transactions')
    .select([bin.as('bin'), (eb) => eb.fn.countAll<number>().as('n')])
    .where(inRange(range))
    .where('risk_score', 'is not', null)
    .groupBy(bin)
    .execute();
  const counts = new Array<number>(RISK_BINS).fill(0);
  for (const row of rows) counts[Number(row.bin)] = Number(row.n);
  return counts;
}

/**
 * Distinct `reasons` documents with their counts, most frequent first. Reasons of one rule
 * combination are stored as the same text, so grouping by it stays small and needs no
 * dialect-specific JSON functions; `limit` bounds it when model reasons make texts unique.
 */
export async function countByReasons(
  db: Kysely<Database>,
  range: StatsRange,
  limit: number,
): Promise<{ reasons: string; n: number }[]> {
  const rows = await db
    .selectFrom('transactions')
    .select(['reasons', (eb) => eb.fn.countAll<number>().as('n')])
    .where(inRange(range))
    .where('reasons', 'is not', null)
    .where('reasons', '!=', '[]')
    .groupBy('reasons')
    .orderBy('n', 'desc')
    .limit(limit)
    .execute();
  return rows.map((row) => ({ reasons: row.reasons ?? '[]', n: Number(row.n) }));
}

/** The decision latencies at the given quantiles (0–1), by ordered offset: no percentile functions. */
export async function latencyQuantiles(
  db: Kysely<Database>,
  range: StatsRange,
  quantiles: readonly number[],
): Promise<number[] | null> {
  const base = db.selectFrom('transactions').where(inRange(range)).where('latency_ms', 'is not', null);
  const counted = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const n = Number(counted?.n ?? 0);
  if (n === 0) return null;
  return Promise.all(
    quantiles.map(async (q) => {
      const offset = Math.min(n - 1, Math.floor(q * n));
      const row = await base
        .select('latency_ms')
        .orderBy('latency_ms')
        .limit(1)
        .offset(offset)
        .executeTakeFirst();
      return Number(row?.latency_ms ?? 0);
    }),
  );
}
