/** Shapes of the API answers the dashboard reads (see /docs for the full documents). */

export type Decision = 'approve' | 'review' | 'decline';
export type Counts = Record<Decision, number>;

export interface Overview {
  readonly window: string;
  readonly from: string;
  readonly to: string;
  readonly bucket_ms: number;
  readonly counts: Counts & { readonly pending: number; readonly total: number };
  readonly timeline: readonly (Counts & { readonly t: string })[];
  readonly rule_hits: readonly { readonly rule_id: string; readonly count: number }[];
  readonly risk_histogram: readonly { readonly from: number; readonly to: number; readonly count: number }[];
  readonly latency_ms: { readonly p50: number; readonly p99: number } | null;
  readonly dead_letters: number | null;
  readonly rules: { readonly version: number; readonly name: string | null };
  readonly model: { readonly active: string | null; readonly shadow: string | null };
}

export interface LiveCounters {
  readonly rate_per_s: number;
  readonly totals: Counts;
  readonly at: string;
}

export interface Reason {
  readonly code: string;
  readonly rule_id: string;
  readonly message: string;
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  readonly feature?: string;
  readonly contribution?: number;
}

export interface DecisionResult {
  readonly decision: Decision;
  readonly risk_score: number;
  readonly fraud_probability: number | null;
  readonly reasons: readonly Reason[];
  readonly rule_errors: readonly { readonly rule_id: string; readonly message: string }[];
  readonly rules_version: number;
  readonly model_version: string | null;
  readonly shadow: { readonly model_version: string; readonly fraud_probability: number } | null;
  readonly features: Readonly<Record<string, number | null>>;
  readonly processed_at: string;
  readonly latency_ms: number;
}

/** One step of a transaction's history: its first decision, then e.g. a face step-up. */
export interface HistoryEntry {
  readonly at: string;
  readonly type: string;
  readonly from_decision: Decision | null;
  readonly to_decision: Decision;
  readonly verification_id: string | null;
  readonly actor: string;
}

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
    readonly channel: string | null;
    readonly origin_country: string | null;
    readonly destination_country: string | null;
    readonly balance: number | null;
  };
  readonly decision: DecisionResult | null;
  readonly label: {
    readonly label: 'fraud' | 'legit';
    readonly labelled_by: string;
    readonly labelled_at: string;
  } | null;
  readonly history?: readonly HistoryEntry[];
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next_cursor?: string | null;
}

/** A rule set version as `GET /v1/rules/versions` lists it: no document, its number of rules. */
export interface RuleSetSummary {
  readonly version: number;
  readonly name: string;
  readonly active: boolean;
  readonly created_at: string;
  readonly created_by: string;
  readonly activated_at: string | null;
  readonly rules: number;
}

export interface RuleSetVersion extends Omit<RuleSetSummary, 'rules'> {
  /** null when the stored document cannot be read (`problem` says why). */
  readonly document: unknown;
  readonly problem?: string;
  /** GET /v1/rules only: the version marked active that the service refused (it keeps this one). */
  readonly refused?: { readonly version: number; readonly message: string };
}

export interface FieldProblem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export interface BacktestReport {
  readonly total: number;
  readonly changed: number;
  readonly decisions: { readonly before: Counts; readonly after: Counts };
  readonly reasons?: readonly { readonly code: string; readonly before: number; readonly after: number }[];
}

export interface ModelVersion {
  readonly version: string;
  readonly algorithm: string;
  readonly role: 'none' | 'active' | 'shadow';
  readonly created_at: string;
  readonly activated_at: string | null;
  /** Inputs the model was trained on that the live scorer does not have (it sees them missing). */
  readonly unserved_inputs: readonly string[];
  readonly metrics: {
    readonly samples: number;
    readonly rocAuc: number;
    readonly prAuc: number;
    readonly precision: number;
    readonly recall: number;
    readonly f1: number;
  };
}

export interface StructuringRun {
  readonly id: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly started_at: string | number;
  readonly finished_at?: string | number | null;
  readonly row_count?: number | null;
  readonly window_count?: number | null;
  readonly method_counts?: Readonly<Record<string, number>> | null;
  readonly error?: string | null;
}

export interface StructuringAlert {
  readonly run_id: string;
  readonly method: string;
  readonly user_id: string;
  readonly merchant_id: string | null;
  readonly score: number;
  readonly window_start: string | number;
  readonly window_end: string | number;
}

/** One attempt of `GET /v1/verifications` (the verification log). */
export interface Verification {
  readonly verification_id: string;
  readonly user_id: string;
  readonly result: 'match' | 'no_match' | 'rejected';
  readonly match: boolean;
  readonly similarity: number | null;
  readonly threshold: number;
  readonly reason: string | null;
  readonly movement: string | null;
  readonly transaction_id: string | null;
  /** When the attempt was logged (ISO 8601). */
  readonly at: string;
  readonly latency_ms: number;
}
