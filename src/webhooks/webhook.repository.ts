import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import type { KeysetCursor } from '../shared/keyset-cursor.js';
import type { WebhookDeliveryTable, WebhookTable } from './webhook.table.js';

export type WebhookRow = Selectable<WebhookTable>;
export type DeliveryRow = Selectable<WebhookDeliveryTable>;
/** A due delivery with what is needed to send it. */
export type DueDelivery = DeliveryRow & { url: string; secret: string; deleted_at: number | null };

export async function insertWebhook(db: Kysely<Database>, row: Insertable<WebhookTable>): Promise<void> {
  await db.insertInto('webhooks').values(row).execute();
}

/** Subscriptions not deleted, newest first. */
export async function listWebhooks(db: Kysely<Database>): Promise<WebhookRow[]> {
  return db
    .selectFrom('webhooks')
    .selectAll()
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function findWebhook(db: Kysely<Database>, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Marks a subscription deleted; false when there is no such live subscription. */
export async function deleteWebhook(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('webhooks')
    .set({ deleted_at: now })
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertDeliveries(
  db: Kysely<Database>,
  rows: readonly Insertable<WebhookDeliveryTable>[],
): Promise<void> {
  if (rows.length > 0)
    await db
      .insertInto('webhook_deliveries')
      .values([...rows])
      .execute();
}

/** Pending deliveries whose next attempt is due, oldest first. */
export async function dueDeliveries(
  db: Kysely<Database>,
  now: number,
  limit: number,
): Promise<DueDelivery[]> {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .selectAll('d')
    .select(['w.url', 'w.secret', 'w.deleted_at'])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', now)
    .orderBy('d.next_attempt_at')
    .limit(limit)
    .execute();
}

/**
 * Takes a delivery for one attempt by moving its due time to `leaseUntil`; false when
 * another process took it first (so each attempt is made by one process only).
 */
export async function claimDelivery(
  db: Kysely<Database>,
  delivery: Pick<DeliveryRow, 'id' | 'next_attempt_at'>,
  leaseUntil: number,
): Promise<boolean> {
  const result = await db
    .updateTable('webhook_deliveries')
    .set({ next_attempt_at: leaseUntil })
    .where('id', '=', delivery.id)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '=', delivery.next_attempt_at)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records the result of an attempt. */
export async function updateDelivery(
  db: Kysely<Database>,
  id: string,
  changes: Partial<Omit<WebhookDeliveryTable, 'id'>>,
): Promise<void> {
  await db.updateTable('webhook_deliveries').set(changes).where('id', '=', id).execute();
}

/** A subscription's deliveries, newest first. */
/** Deliveries of one subscription: by status, older than a cursor, at most `limit`. */
export interface DeliveryFilter {
  readonly status?: string;
  readonly before?: KeysetCursor;
  readonly limit: number;
}

export async function listDeliveries(
  db: Kysely<Database>,
  webhookId: string,
  options: DeliveryFilter,
): Promise<DeliveryRow[]> {
  let query = db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', webhookId);
  if (options.status !== undefined)
    query = query.where('status', '=', options.status as DeliveryRow['status']);
  const before = options.before;
  if (before)
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.at),
        eb.and([eb('created_at', '=', before.at), eb('id', '<', before.id)]),
      ]),
    );
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
}
