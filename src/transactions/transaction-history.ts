import type { TransactionEventRow } from './transaction-event.repository.js';
import type { TransactionRow } from './transaction.repository.js';

type Decision = 'approve' | 'review' | 'decline';

/** One step of a transaction's history, as `GET /v1/transactions/:id` shows it. */
export interface HistoryEntry {
  readonly at: string;
  readonly type: 'decided' | 'step_up';
  readonly from_decision: Decision | null;
  readonly to_decision: Decision;
  readonly verification_id: string | null;
  readonly actor: string;
}

/**
 * The first decision (from the stored row: what the decision was before the first event)
 * followed by the stored events. Empty while the transaction is pending.
 */
export function historyOf(row: TransactionRow, events: readonly TransactionEventRow[]): HistoryEntry[] {
  if (row.status !== 'decided' || row.decision === null) return [];
  const first: HistoryEntry = {
    at: new Date(Number(row.processed_at ?? row.received_at)).toISOString(),
    type: 'decided',
    from_decision: null,
    to_decision: events[0]?.from_decision ?? row.decision,
    verification_id: null,
    actor: 'scoring',
  };
  return [
    first,
    ...events.map((event) => ({
      at: new Date(Number(event.at)).toISOString(),
      type: event.type,
      from_decision: event.from_decision,
      to_decision: event.to_decision,
      verification_id: event.verification_id,
      actor: event.actor,
    })),
  ];
}
