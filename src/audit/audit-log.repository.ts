import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import { timePage, type TimePage } from '../store/time-page.js';
import type { AuditLogTable } from './audit-log.table.js';

export type AuditLogRow = Selectable<AuditLogTable>;

/** Filters of an audit query; times in ms, inclusive. */
export interface AuditFilter extends TimePage {
  readonly action?: string;
  readonly actor?: string;
}

export async function insertAuditEntry(db: Kysely<Database>, row: Insertable<AuditLogTable>): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

/** Entries matching `filter`, newest first. */
export async function listAuditEntries(db: Kysely<Database>, filter: AuditFilter): Promise<AuditLogRow[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (filter.action !== undefined) query = query.where('action', '=', filter.action);
  if (filter.actor !== undefined) query = query.where('actor', '=', filter.actor);
  return timePage(query, filter).execute();
}
