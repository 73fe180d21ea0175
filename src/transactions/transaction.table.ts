import type { Generated } from 'kysely';

/** One row per transaction: the input, and its decision once made. */
export interface TransactionTable {
  transaction_id: string;
  /** Arrival order; velocity state is rebuilt in this order. */
  seq: number;
  /** Account partition (see src/shared/partition.ts); -1 for rows stored before partitions. */
  partition: Generated<number>;
  account_id: string;
  amount: number;
  currency: string;
  /** Event time, ms since the epoch. */
  event_time: number;
  merchant_id: string | null;
  merchant_type: string | null;
  device_type: string | null;
  channel: string | null;
  origin_country: string | null;
  destination_country: string | null;
  balance: number | null;
  location_match: number | null;
  /** The payload as received (JSON). */
  raw: string;
  status: 'pending' | 'decided';
  decision: 'approve' | 'review' | 'decline' | null;
  risk_score: number | null;
  fraud_probability: number | null;
  /** JSON arrays of reasons and rule errors, and the features object. */
  reasons: string | null;
  rule_errors: string | null;
  features: string | null;
  rules_version: number | null;
  model_version: string | null;
  /** The challenger's score, stored beside the live one and never used for the decision. */
  shadow_model_version: string | null;
  shadow_probability: number | null;
  received_at: number;
  processed_at: number | null;
  latency_ms: number | null;
  created_at: Generated<number>;
}
