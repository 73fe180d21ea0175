import type { TransactionFeatures } from '../features/features.js';
import type { RuleEvaluation, RuleFailure } from '../rules/rule-engine.js';
import type { Severity } from '../rules/rule-set.js';

export type Decision = 'approve' | 'review' | 'decline';

export interface Thresholds {
  /** risk_score at or above which a transaction is reviewed. */
  readonly review: number;
  /** risk_score at or above which a transaction is declined. */
  readonly decline: number;
}

/** One reason of a decision. */
export interface Reason {
  readonly code: string;
  /** The rule's id, or `model:<version>` for a model reason. */
  readonly rule_id: string;
  readonly message: string;
  readonly severity: Severity;
  /** Model reasons: the feature and how much it raised the score. */
  readonly feature?: string;
  readonly contribution?: number;
}

/** The challenger model's score, stored beside the decision and never used for it. */
export interface ShadowScore {
  readonly model_version: string;
  readonly fraud_probability: number;
}

/** What `POST /v1/transactions` answers, and what a replay of the same id answers again. */
export interface DecisionResult {
  readonly transaction_id: string;
  readonly account_id: string;
  readonly decision: Decision;
  readonly risk_score: number;
  readonly fraud_probability: number | null;
  readonly reasons: readonly Reason[];
  readonly rule_errors: readonly RuleFailure[];
  readonly rules_version: number;
  readonly model_version: string | null;
  readonly shadow: ShadowScore | null;
  readonly features: TransactionFeatures;
  readonly processed_at: string;
  readonly latency_ms: number;
}

/**
 * Combines rule hits and the model probability into a decision.
 *
 * risk_score = 100 · (1 − (1 − r)(1 − p)), rounded to one decimal, with r = min(1, Σ scores of
 * matching review and decline rules / 100) and p the model probability (0 without a model).
 * A `decline` rule declines; otherwise an `approve` rule (allow list) approves; otherwise the
 * thresholds apply, and any `review` rule makes the decision at least review, and so does a
 * model probability at or above the model's own threshold (`modelFlagged`).
 */
export function decide(
  evaluation: RuleEvaluation,
  modelProbability: number | null,
  thresholds: Thresholds,
  modelFlagged = false,
): { decision: Decision; risk_score: number } {
  const ruleScore = evaluation.hits.reduce(
    (sum, hit) => (hit.action === 'approve' ? sum : sum + hit.score),
    0,
  );
  const r = Math.min(1, ruleScore / 100);
  const p = modelProbability ?? 0;
  const risk_score = Math.round(1000 * (1 - (1 - r) * (1 - p))) / 10;
  return { decision: decisionOf(evaluation, risk_score, thresholds, modelFlagged), risk_score };
}

function decisionOf(
  evaluation: RuleEvaluation,
  risk: number,
  thresholds: Thresholds,
  modelFlagged: boolean,
): Decision {
  const actions = new Set(evaluation.hits.map((hit) => hit.action));
  if (actions.has('decline')) return 'decline';
  if (actions.has('approve')) return 'approve';
  if (risk >= thresholds.decline) return 'decline';
  if (actions.has('review') || modelFlagged || risk >= thresholds.review) return 'review';
  return 'approve';
}

/** The reasons shown for a decision, most severe first. */
export function reasonsOf(evaluation: RuleEvaluation): Reason[] {
  return evaluation.hits.map(({ code, rule_id, message, severity }) => ({
    code,
    rule_id,
    message,
    severity,
  }));
}
