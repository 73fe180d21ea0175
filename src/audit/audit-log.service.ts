import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { nextCursor, readPage } from '../shared/keyset-cursor.js';
import { insertAuditEntry, listAuditEntries, type AuditFilter } from './audit-log.repository.js';

/** Admin actions recorded in the audit log. Other features may add theirs (dotted names). */
export type AuditAction =
  | 'rules.save'
  | 'rules.activate'
  | 'models.activate'
  | 'models.rollback'
  | 'models.shadow'
  | 'models.shadow_stop'
  | 'keys.create'
  | 'keys.revoke'
  | 'identity.erase'
  | 'webhooks.create'
  | 'webhooks.delete'
  | (string & {});

/** One audit log entry as the API shows it. */
export interface AuditEntry {
  readonly id: string;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly details: unknown;
}

/**
 * The admin audit log: an append-only table of who did what to what.
 *
 * @example await audit.record(actorOf(request), 'identity.erase', userId, { templates: 2 });
 */
export class AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  /** Appends an entry; resolves once it is stored. `details` must be JSON-serialisable. */
  async record(actor: string, action: AuditAction, target: string, details: unknown = {}): Promise<void> {
    // A time-ordered id keeps entries of the same millisecond in insertion order.
    const at = Date.now();
    const id = `${at.toString(36).padStart(9, '0')}-${randomUUID()}`;
    await insertAuditEntry(this.db, { id, at, actor, action, target, details: JSON.stringify(details) });
  }

  /** Entries matching `filter`, newest first, with the cursor of the next page (or null). */
  async list(filter: AuditFilter): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    const page = await readPage(filter.limit, (limit) => listAuditEntries(this.db, { ...filter, limit }));
    const items = page.rows.map((row) => ({
      id: row.id,
      at: new Date(Number(row.at)).toISOString(),
      actor: row.actor,
      action: row.action,
      target: row.target,
      details: JSON.parse(row.details) as unknown,
    }));
    return {
      items,
      nextCursor: nextCursor(page, (row) => ({ at: Number(row.at), id: row.id })),
    };
  }
}
