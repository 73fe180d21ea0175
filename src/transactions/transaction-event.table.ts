/**
 * Changes to a transaction after its first decision (an identity step-up). The first
 * decision itself is the stored decision, not an event: writing one per transaction would
 * cost throughput on the scoring path.
 */
export interface TransactionEventTable {
  id: string;
  transaction_id: string;
  /** ms since the epoch. */
  at: number;
  type: 'decided' | 'step_up';
  from_decision: 'approve' | 'review' | 'decline' | null;
  to_decision: 'approve' | 'review' | 'decline';
  verification_id: string | null;
  actor: string;
}
