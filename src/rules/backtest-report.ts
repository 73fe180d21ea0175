import type { Decision } from '../transactions/decision.js';
import type { ReplayedTransaction, ReplaySide } from './backtest.js';

const DECISIONS: readonly Decision[] = ['approve', 'review', 'decline'];

export type DecisionCounts = Record<Decision, number>;

/** How often a reason code matched before and after, and on how many transactions it appeared or vanished. */
export interface ReasonChange {
  readonly code: string;
  readonly before: number;
  readonly after: number;
  readonly added: number;
  readonly removed: number;
}

/** Evaluation failures of one rule, before and after. */
export interface RuleErrorChange {
  readonly rule_id: string;
  readonly before: number;
  readonly after: number;
}

/** Labelled transactions by flagged (review or decline) vs label. */
export interface Confusion {
  /** Flagged and labelled fraud. */
  tp: number;
  /** Flagged and labelled legit. */
  fp: number;
  /** Not flagged (approved) and labelled fraud. */
  fn: number;
  /** Not flagged and labelled legit. */
  tn: number;
}

/** Precision and recall of "flagged" against analyst labels; null when undefined (0/0). */
export interface LabelQuality extends Confusion {
  readonly precision: number | null;
  readonly recall: number | null;
}

/** A transaction whose decision changed. */
export interface ChangedTransaction {
  readonly transaction_id: string;
  readonly before: Decision;
  readonly after: Decision;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly label: 'fraud' | 'legit' | null;
}

/** The counts of a backtest: what changes, by how much, and against the labels. */
export interface BacktestSummary {
  readonly total: number;
  readonly changed: number;
  readonly decisions: { readonly before: DecisionCounts; readonly after: DecisionCounts };
  /** transitions[before][after]: transactions that went from one decision to the other. */
  readonly transitions: Record<Decision, DecisionCounts>;
  readonly reasons: readonly ReasonChange[];
  readonly rule_errors: readonly RuleErrorChange[];
  readonly labels: {
    /** Labelled transactions behind the precision and recall below. */
    readonly labelled: number;
    readonly fraud: number;
    readonly legit: number;
    readonly before: LabelQuality;
    readonly after: LabelQuality;
  };
  /** The first changed transactions, in arrival order. */
  readonly sample_changed: readonly ChangedTransaction[];
}

/** A running tally; feed it with {@link addToTally}, read it with {@link summarize}. */
export interface BacktestTally {
  readonly sampleSize: number;
  total: number;
  changed: number;
  readonly transitions: Record<Decision, DecisionCounts>;
  readonly reasons: Map<string, { before: number; after: number; added: number; removed: number }>;
  readonly ruleErrors: Map<string, { before: number; after: number }>;
  readonly before: Confusion;
  readonly after: Confusion;
  readonly sample: ChangedTransaction[];
}

/** An empty tally that keeps up to `sampleSize` changed transactions. */
export function emptyTally(sampleSize = 20): BacktestTally {
  return {
    sampleSize,
    total: 0,
    changed: 0,
    transitions: { approve: counts(), review: counts(), decline: counts() },
    reasons: new Map(),
    ruleErrors: new Map(),
    before: { tp: 0, fp: 0, fn: 0, tn: 0 },
    after: { tp: 0, fp: 0, fn: 0, tn: 0 },
    sample: [],
  };
}

/** Adds one replayed transaction to `tally` (mutates it: one tally per backtest run). */
export function addToTally(tally: BacktestTally, t: ReplayedTransaction): void {
  tally.total += 1;
  tally.transitions[t.before.decision][t.after.decision] += 1;
  const { added, removed } = tallyReasons(tally, t.before, t.after);
  tallyErrors(tally, t.before.errors, 'before');
  tallyErrors(tally, t.after.errors, 'after');
  if (t.label !== null) {
    tallyLabel(tally.before, t.before.decision, t.label);
    tallyLabel(tally.after, t.after.decision, t.label);
  }
  if (t.before.decision === t.after.decision) return;
  tally.changed += 1;
  if (tally.sample.length < tally.sampleSize) {
    const { transaction_id, label } = t;
    tally.sample.push({
      transaction_id,
      before: t.before.decision,
      after: t.after.decision,
      added,
      removed,
      label,
    });
  }
}

/** The tally of a list of replayed transactions (convenience for small sets and tests). */
export function tallyOf(replayed: Iterable<ReplayedTransaction>, sampleSize?: number): BacktestTally {
  const tally = emptyTally(sampleSize);
  for (const t of replayed) addToTally(tally, t);
  return tally;
}

/** The tally as a plain, JSON-ready summary; reasons and rules sorted by name. */
export function summarize(tally: BacktestTally): BacktestSummary {
  const { before, after } = tally;
  return {
    total: tally.total,
    changed: tally.changed,
    decisions: { before: rowSums(tally.transitions), after: columnSums(tally.transitions) },
    transitions: tally.transitions,
    reasons: [...tally.reasons.entries()].sort(byKey).map(([code, c]) => ({ code, ...c })),
    rule_errors: [...tally.ruleErrors.entries()].sort(byKey).map(([rule_id, c]) => ({ rule_id, ...c })),
    labels: {
      labelled: before.tp + before.fp + before.fn + before.tn,
      fraud: before.tp + before.fn,
      legit: before.fp + before.tn,
      before: qualityOf(before),
      after: qualityOf(after),
    },
    sample_changed: tally.sample,
  };
}

/** Precision TP/(TP+FP) and recall TP/(TP+FN), rounded to 4 decimals; null on 0/0. */
export function qualityOf(c: Confusion): LabelQuality {
  return { ...c, precision: ratio(c.tp, c.tp + c.fp), recall: ratio(c.tp, c.tp + c.fn) };
}

function tallyReasons(tally: BacktestTally, before: ReplaySide, after: ReplaySide) {
  const was = new Set(before.codes);
  const now = new Set(after.codes);
  const added = [...now].filter((code) => !was.has(code));
  const removed = [...was].filter((code) => !now.has(code));
  for (const code of before.codes) reasonEntry(tally, code).before += 1;
  for (const code of after.codes) reasonEntry(tally, code).after += 1;
  for (const code of added) reasonEntry(tally, code).added += 1;
  for (const code of removed) reasonEntry(tally, code).removed += 1;
  return { added, removed };
}

function reasonEntry(tally: BacktestTally, code: string) {
  let entry = tally.reasons.get(code);
  if (!entry) tally.reasons.set(code, (entry = { before: 0, after: 0, added: 0, removed: 0 }));
  return entry;
}

function tallyErrors(tally: BacktestTally, ruleIds: readonly string[], side: 'before' | 'after'): void {
  for (const id of ruleIds) {
    let entry = tally.ruleErrors.get(id);
    if (!entry) tally.ruleErrors.set(id, (entry = { before: 0, after: 0 }));
    entry[side] += 1;
  }
}

function tallyLabel(c: Confusion, decision: Decision, label: 'fraud' | 'legit'): void {
  const flagged = decision !== 'approve';
  if (label === 'fraud') c[flagged ? 'tp' : 'fn'] += 1;
  else c[flagged ? 'fp' : 'tn'] += 1;
}

function counts(): DecisionCounts {
  return { approve: 0, review: 0, decline: 0 };
}

function rowSums(m: Record<Decision, DecisionCounts>): DecisionCounts {
  const out = counts();
  for (const b of DECISIONS) for (const a of DECISIONS) out[b] += m[b][a];
  return out;
}

function columnSums(m: Record<Decision, DecisionCounts>): DecisionCounts {
  const out = counts();
  for (const b of DECISIONS) for (const a of DECISIONS) out[a] += m[b][a];
  return out;
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator === 0 ? null : Math.round((numerator / denominator) * 1e4) / 1e4;
}

function byKey<T>(a: readonly [string, T], b: readonly [string, T]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
