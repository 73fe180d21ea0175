import type { TransactionFeatures } from '../features/features.js';
import type { RuleFailure } from '../rules/rule-engine.js';
import type { DecisionResult, Reason } from './decision.js';
import type { HistoryEntry } from './transaction-history.js';
import type { DECISION_COLUMNS } from './transaction.repository.js';
import { type LabelRow, type NewTransactionRow, type TransactionRow } from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';

/** A stored transaction and its decision, as `GET /v1/transactions/:id` shows it. */
export interface StoredTransaction {
  readonly transaction_id: string;
  readonly status: 'pending' | 'decided';
  readonly received_at: string;
  readonly transaction: {
    readonly account_id: string;
    readonly amount: number;
    readonly currency: string;
    readonly timestamp: string;
    readonly merchant_id: string | null;
    readonly merchant_type: string | null;
    readonly device_type: string | null;
    readonly channel: string | null;
    readonly origin_country: string | null;
    readonly destination_country: string | null;
    readonly balance: number | null;
    readonly location_match: number | null;
  };
  /** The payload as received, unknown fields included. */
  readonly payload: Readonly<Record<string, unknown>>;
  readonly decision: DecisionResult | null;
  /** An analyst's label, when there is one. */
  readonly label: {
    readonly label: 'fraud' | 'legit';
    readonly labelled_by: string;
    readonly labelled_at: string;
  } | null;
  /** The first decision and later changes (identity step-ups); single reads only. */
  readonly history?: readonly HistoryEntry[];
}

/** Where a transaction stands in arrival order. */
export interface Arrival {
  readonly seq: number;
  /** Wall-clock arrival, ms since the epoch. */
  readonly receivedAt: number;
  readonly partition: number;
}

/** The row to store for a transaction: decided when `result` is given, else pending. */
export function rowOf(
  tx: TransactionInput,
  result: DecisionResult | null,
  arrival: Arrival,
): NewTransactionRow {
  // Object.assign onto a fixed-shape literal stays fast in V8; spreading two objects into one does not.
  return Object.assign(inputColumnsOf(tx, arrival), result ? decidedColumnsOf(result) : PENDING_COLUMNS);
}

function inputColumnsOf(tx: TransactionInput, arrival: Arrival) {
  return {
    transaction_id: tx.transaction_id,
    seq: arrival.seq,
    partition: arrival.partition,
    account_id: tx.account_id,
    amount: tx.amount,
    currency: tx.currency,
    event_time: tx.time,
    merchant_id: tx.merchant_id,
    merchant_type: tx.merchant_type,
    device_type: tx.device_type,
    channel: tx.channel,
    origin_country: tx.origin_country,
    destination_country: tx.destination_country,
    balance: tx.balance,
    location_match: tx.location_match,
    raw: JSON.stringify(tx.raw),
    received_at: arrival.receivedAt,
    created_at: arrival.receivedAt,
  };
}

type DecisionColumns = Pick<NewTransactionRow, (typeof DECISION_COLUMNS)[number]>;

function decidedColumnsOf(result: DecisionResult): DecisionColumns {
  return {
    status: 'decided',
    decision: result.decision,
    risk_score: result.risk_score,
    fraud_probability: result.fraud_probability,
    reasons: JSON.stringify(result.reasons),
    rule_errors: JSON.stringify(result.rule_errors),
    features: JSON.stringify(result.features),
    rules_version: result.rules_version,
    model_version: result.model_version,
    shadow_model_version: result.shadow?.model_version ?? null,
    shadow_probability: result.shadow?.fraud_probability ?? null,
    processed_at: Date.parse(result.processed_at),
    latency_ms: result.latency_ms,
  };
}

const PENDING_COLUMNS: DecisionColumns = Object.freeze({
  status: 'pending',
  decision: null,
  risk_score: null,
  fraud_probability: null,
  reasons: null,
  rule_errors: null,
  features: null,
  rules_version: null,
  model_version: null,
  shadow_model_version: null,
  shadow_probability: null,
  processed_at: null,
  latency_ms: null,
});

/** The decision stored in `row`, exactly as first answered; null while pending. */
export function decisionOf(row: TransactionRow): DecisionResult | null {
  if (row.status !== 'decided' || row.decision === null) return null;
  return {
    transaction_id: row.transaction_id,
    account_id: row.account_id,
    decision: row.decision,
    risk_score: Number(row.risk_score),
    fraud_probability: row.fraud_probability === null ? null : Number(row.fraud_probability),
    reasons: parseJson<Reason[]>(row.reasons, []),
    rule_errors: parseJson<RuleFailure[]>(row.rule_errors, []),
    rules_version: Number(row.rules_version),
    model_version: row.model_version,
    shadow:
      row.shadow_model_version === null
        ? null
        : { model_version: row.shadow_model_version, fraud_probability: Number(row.shadow_probability) },
    features: parseJson<TransactionFeatures>(row.features, {} as TransactionFeatures),
    processed_at: new Date(Number(row.processed_at)).toISOString(),
    latency_ms: Number(row.latency_ms),
  };
}

export function storedTransactionOf(row: TransactionRow, label?: LabelRow): StoredTransaction {
  return {
    transaction_id: row.transaction_id,
    status: row.status,
    received_at: new Date(Number(row.received_at)).toISOString(),
    transaction: {
      account_id: row.account_id,
      amount: Number(row.amount),
      currency: row.currency,
      timestamp: new Date(Number(row.event_time)).toISOString(),
      merchant_id: row.merchant_id,
      merchant_type: row.merchant_type,
      device_type: row.device_type,
      channel: row.channel,
      origin_country: row.origin_country,
      destination_country: row.destination_country,
      balance: row.balance === null ? null : Number(row.balance),
      location_match: row.location_match,
    },
    payload: parseJson<Record<string, unknown>>(row.raw, {}),
    decision: decisionOf(row),
    label: label
      ? {
          label: label.label,
          labelled_by: label.labelled_by,
          labelled_at: new Date(Number(label.labelled_at)).toISOString(),
        }
      : null,
  };
}

function parseJson<T>(text: string | null, fallback: T): T {
  return text === null ? fallback : (JSON.parse(text) as T);
}
