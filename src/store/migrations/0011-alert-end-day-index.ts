import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The day (UTC) of an alert's window end, as indexed: integer division, the same on SQLite
 * and PostgreSQL. Queries must use this exact expression for either database to use the index.
 */
export const MS_PER_ALERT_DAY = 86_400_000;
export const ALERT_END_DAY = sql<number>`(window_end / ${sql.lit(MS_PER_ALERT_DAY)})`;

const OLD = 'structuring_alerts_end';
const NEW = 'structuring_alerts_end_day';

/**
 * Replaces the (window_end) index of structuring alerts with one on the day of the window
 * end. A run stores its alerts user by user, so their window ends come in random order:
 * each insert into a plain window_end index landed on a random page, and a batch of 20,000
 * alerts dirtied (and wrote to the WAL) thousands of pages. Entries of one day are kept in
 * insertion order, so a batch only appends at the end of each day it touches: one page per
 * day. Time-range filters still use it (the window_end bounds plus the same bounds on the
 * day; `listAlerts`).
 */
export const alertEndDayIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex(OLD).ifExists().execute();
    await db.schema.createIndex(NEW).on('structuring_alerts').expression(ALERT_END_DAY).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex(NEW).ifExists().execute();
    await db.schema.createIndex(OLD).on('structuring_alerts').column('window_end').execute();
  },
};
