import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import type { TransactionEventTable } from './transaction-event.table.js';

export type TransactionEventRow = Selectable<TransactionEventTable>;

/** A decision change to apply: `from` must still be the stored decision. */
export interface DecisionChange {
  readonly transactionId: string;
  readonly type: TransactionEventRow['type'];
  readonly from: NonNullable<TransactionEventRow['from_decision']>;
  readonly to: TransactionEventRow['to_decision'];
  readonly verificationId: string | null;
  readonly actor: string;
  /**
   * For a change from review to review (a failed step-up that keeps the transaction in
   * review): the most such changes it may have; the one past them declines it instead. Counted
   * under the row's lock, so step-ups sent together cannot all stay in review.
   */
  readonly reviewLimit?: number;
}

/** A transaction's events, oldest first. */
export async function eventsOf(db: Kysely<Database>, transactionId: string): Promise<TransactionEventRow[]> {
  return db
    .selectFrom('transaction_events')
    .selectAll()
    .where('transaction_id', '=', transactionId)
    .orderBy('at')
    .orderBy('id')
    .execute();
}

/**
 * Moves the stored decision from `from` to `to` (or to decline, past `reviewLimit`) and
 * records the event, atomically. Resolves the decision set, or undefined (changing nothing)
 * when the decision is no longer `from`.
 */
export async function applyDecisionChange(
  db: Kysely<Database>,
  change: DecisionChange,
): Promise<TransactionEventRow['to_decision'] | undefined> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('transactions')
      .set({ decision: change.to })
      .where('transaction_id', '=', change.transactionId)
      .where('decision', '=', change.from)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return undefined;
    const to = (await pastReviewLimit(trx, change)) ? 'decline' : change.to;
    if (to !== change.to)
      await trx
        .updateTable('transactions')
        .set({ decision: to })
        .where('transaction_id', '=', change.transactionId)
        .execute();
    const at = Date.now();
    await trx
      .insertInto('transaction_events')
      .values({
        id: `${at.toString(36).padStart(9, '0')}-${randomUUID()}`,
        transaction_id: change.transactionId,
        at,
        type: change.type,
        from_decision: change.from,
        to_decision: to,
        verification_id: change.verificationId,
        actor: change.actor,
      })
      .execute();
    return to;
  });
}

/** Whether a change from review to review would pass its `reviewLimit` (read under the row's lock). */
async function pastReviewLimit(trx: Kysely<Database>, change: DecisionChange): Promise<boolean> {
  if (change.reviewLimit === undefined || change.from !== 'review' || change.to !== 'review') return false;
  const { kept } = await trx
    .selectFrom('transaction_events')
    .select((e) => e.fn.countAll<number>().as('kept'))
    .where('transaction_id', '=', change.transactionId)
    .where('type', '=', change.type)
    .where('to_decision', '=', 'review')
    .executeTakeFirstOrThrow();
  return Number(kept) >= change.reviewLimit;
}
