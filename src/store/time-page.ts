import { sql, type SelectQueryBuilder } from 'kysely';

/** A page of a log table with `at` (ms) and `id` columns, newest first. */
export interface TimePage {
  /** Inclusive time bounds (ms). */
  readonly from?: number;
  readonly to?: number;
  /** Keyset cursor: rows strictly older than this `(at, id)`. */
  readonly before?: { readonly at: number; readonly id: string };
  readonly limit: number;
}

/**
 * Adds the time bounds, the keyset cursor, the newest-first order and the limit of `page`
 * to a query over a table with `at` and `id` columns (audit log, verifications…).
 *
 * @example timePage(db.selectFrom('audit_log').selectAll(), { from, limit: 100 })
 */
export function timePage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: TimePage,
): SelectQueryBuilder<DB, TB, O> {
  let q = query;
  if (page.from !== undefined) q = q.where(sql<boolean>`at >= ${page.from}`);
  if (page.to !== undefined) q = q.where(sql<boolean>`at <= ${page.to}`);
  const before = page.before;
  if (before) q = q.where(sql<boolean>`(at < ${before.at} or (at = ${before.at} and id < ${before.id}))`);
  return q
    .orderBy(sql`at desc`)
    .orderBy(sql`id desc`)
    .limit(page.limit);
}
