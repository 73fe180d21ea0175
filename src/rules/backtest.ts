import { decide, type Decision, type DecisionResult, type Thresholds } from '../transactions/decision.js';
import { ruleContextOf } from '../transactions/scoring.js';
import { transactionOfRow } from '../transactions/transaction-row.js';
import { decisionOf } from '../transactions/transaction.view.js';
import type { BacktestRow } from './backtest.repository.js';
import { evaluateRules } from './rule-engine.js';
import type { CompiledRuleSet } from './rule-set.js';

/** One side (stored or re-scored) of a replayed transaction. */
export interface ReplaySide {
  readonly decision: Decision;
  /** Reason codes of matching rules (model reasons left out: the model is held fixed). */
  readonly codes: readonly string[];
  /** Ids of rules that could not be evaluated. */
  readonly errors: readonly string[];
}

/** A stored transaction next to its decision under the candidate rule set. */
export interface ReplayedTransaction {
  readonly transaction_id: string;
  readonly label: 'fraud' | 'legit' | null;
  readonly before: ReplaySide;
  readonly after: ReplaySide;
}

/** Everything the live scorer needs besides the transaction, for a replay. */
export interface ReplayContext {
  readonly ruleSet: CompiledRuleSet;
  readonly thresholds: Thresholds;
  /** The flagging threshold of a model version; undefined when it cannot be known. */
  readonly modelThreshold: (version: string) => number | undefined;
}

const MODEL_REASON = 'model:';

/**
 * Re-scores one stored transaction as the live scorer would with `context.ruleSet`: the
 * same rule context (stored input + stored features), the stored model probability, and
 * the same {@link decide}; `before` is the scorer's own decision (a step-up's later change is
 * not the scorer's). Returns null for a row that has no decision yet.
 */
export function replayTransaction(row: BacktestRow, context: ReplayContext): ReplayedTransaction | null {
  const stored = decisionOf(row);
  if (stored === null) return null;
  const probability = stored.fraud_probability;
  const evaluation = evaluateRules(
    context.ruleSet,
    ruleContextOf(transactionOfRow(row), stored.features, probability),
  );
  const flagged = modelFlagged(stored, context.modelThreshold);
  const { decision } = decide(evaluation, probability, context.thresholds, flagged);
  return {
    transaction_id: row.transaction_id,
    label: row.label,
    before: {
      // The scorer's decision, not one a step-up put in its place: the replay re-scores.
      decision: (row.scored_decision as Decision | null) ?? stored.decision,
      codes: stored.reasons.filter((r) => !r.rule_id.startsWith(MODEL_REASON)).map((r) => r.code),
      errors: stored.rule_errors.map((e) => e.rule_id),
    },
    after: {
      decision,
      codes: evaluation.hits.map((hit) => hit.code),
      errors: evaluation.errors.map((e) => e.rule_id),
    },
  };
}

/**
 * Whether the live model flagged the transaction (probability at or above its threshold).
 * Without the threshold, the stored model reasons tell: they are only added when flagged.
 */
function modelFlagged(stored: DecisionResult, thresholdOf: ReplayContext['modelThreshold']): boolean {
  const { model_version: version, fraud_probability: p } = stored;
  if (version === null || p === null) return false;
  const threshold = thresholdOf(version);
  if (threshold !== undefined) return p >= threshold;
  return stored.reasons.some((r) => r.rule_id.startsWith(MODEL_REASON));
}
