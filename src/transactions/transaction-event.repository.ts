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
 * Moves the stored decision from `from` to `to` and records the event, atomically.
 * Resolves false (and changes nothing) when the decision is no longer `from`.
 */
export async function applyDecisionChange(db: Kysely<Database>, change: DecisionChange): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('transactions')
      .set({ decision: change.to })
      .where('transaction_id', '=', change.transactionId)
      .where('decision', '=', change.from)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return false;
    const at = Date.now();
    await trx
      .insertInto('transaction_events')
      .values({
        id: `${at.toString(36).padStart(9, '0')}-${randomUUID()}`,
        transaction_id: change.transactionId,
        at,
        type: change.type,
        from_decision: change.from,
        to_decision: change.to,
        verification_id: change.verificationId,
        actor: change.actor,
      })
      .execute();
    return true;
  });
}
