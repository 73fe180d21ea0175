import { EvaluationError, type EvalContext } from './expression-compiler.js';
import {
  SEVERITIES,
  type CompiledRule,
  type CompiledRuleSet,
  type RuleAction,
  type Severity,
} from './rule-set.js';

/** A rule that matched, as reported in a decision's reasons. */
export interface RuleHit {
  readonly rule_id: string;
  readonly code: string;
  readonly message: string;
  readonly severity: Severity;
  readonly score: number;
  readonly action: RuleAction;
}

/** A rule that could not be evaluated on this transaction; the transaction is still decided. */
export interface RuleFailure {
  readonly rule_id: string;
  readonly outcome: 'error';
  readonly message: string;
}

export interface RuleEvaluation {
  /** Matching rules, most severe first. */
  readonly hits: readonly RuleHit[];
  readonly errors: readonly RuleFailure[];
}

/** Evaluates every rule (never stops at the first match); a failing rule is data, not an exception. */
export function evaluateRules(ruleSet: CompiledRuleSet, context: EvalContext): RuleEvaluation {
  const hits: RuleHit[] = [];
  const errors: RuleFailure[] = [];
  for (const rule of ruleSet.rules) {
    const outcome = evaluateRule(rule, context);
    if (outcome === true) hits.push(hitOf(rule));
    else if (outcome !== false) errors.push({ rule_id: rule.id, outcome: 'error', message: outcome });
  }
  hits.sort(bySeverityThenScore);
  return { hits, errors };
}

function evaluateRule(rule: CompiledRule, context: EvalContext): boolean | string {
  try {
    const value = rule.evaluate(context);
    return typeof value === 'boolean' ? value : `condition gave ${typeof value}, not true/false`;
  } catch (error) {
    if (error instanceof EvaluationError) return error.message;
    return `unexpected failure: ${error instanceof Error ? error.message : String(error)}`;
  }
}

function hitOf(rule: CompiledRule): RuleHit {
  return {
    rule_id: rule.id,
    code: rule.reason_code,
    message: rule.message,
    severity: rule.severity,
    score: rule.score,
    action: rule.action,
  };
}

function bySeverityThenScore(a: RuleHit, b: RuleHit): number {
  return SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || b.score - a.score;
}
