import { describe, expect, it } from 'vitest';
import type { Decision } from '../transactions/decision.js';
import { qualityOf, summarize, tallyOf } from './backtest-report.js';
import type { BacktestRow } from './backtest.repository.js';
import { replayTransaction, type ReplayContext, type ReplayedTransaction } from './backtest.js';
import { DEFAULT_RULE_SET } from './default-rules.js';
import { compileRuleSet, type RuleSetDocument } from './rule-set.js';

function replayed(
  id: string,
  before: [Decision, string[], string[]?],
  after: [Decision, string[], string[]?],
  label: 'fraud' | 'legit' | null = null,
): ReplayedTransaction {
  const side = ([decision, codes, errors = []]: [Decision, string[], string[]?]) => ({
    decision,
    codes,
    errors,
  });
  return { transaction_id: id, label, before: side(before), after: side(after) };
}

describe('backtest aggregation', () => {
  const cases = [
    replayed('t1', ['approve', []], ['review', ['HIGH_AMOUNT']], 'fraud'),
    replayed('t2', ['review', ['HIGH_AMOUNT', 'CROSS_BORDER']], ['review', ['HIGH_AMOUNT']], 'legit'),
    replayed('t3', ['approve', []], ['approve', []], 'legit'),
    replayed('t4', ['approve', []], ['review', ['HIGH_AMOUNT']], 'legit'),
    replayed(
      't5',
      ['decline', ['DENY_ACCOUNT'], ['LOW_BALANCE']],
      ['decline', ['DENY_ACCOUNT'], ['LOW_BALANCE']],
    ),
    replayed('t6', ['approve', []], ['approve', []], 'fraud'),
    replayed('t7', ['review', ['VELOCITY_1M']], ['approve', [], ['VELOCITY_1M']]),
  ];
  const summary = summarize(tallyOf(cases, 2));

  it('counts decisions before and after and the transitions between them', () => {
    expect(summary.total).toBe(7);
    expect(summary.changed).toBe(3);
    expect(summary.decisions.before).toEqual({ approve: 4, review: 2, decline: 1 });
    expect(summary.decisions.after).toEqual({ approve: 3, review: 3, decline: 1 });
    expect(summary.transitions).toEqual({
      approve: { approve: 2, review: 2, decline: 0 },
      review: { approve: 1, review: 1, decline: 0 },
      decline: { approve: 0, review: 0, decline: 1 },
    });
  });

  it('counts each reason code before and after, and where it appeared or vanished', () => {
    expect(summary.reasons).toEqual([
      { code: 'CROSS_BORDER', before: 1, after: 0, added: 0, removed: 1 },
      { code: 'DENY_ACCOUNT', before: 1, after: 1, added: 0, removed: 0 },
      { code: 'HIGH_AMOUNT', before: 1, after: 3, added: 2, removed: 0 },
      { code: 'VELOCITY_1M', before: 1, after: 0, added: 0, removed: 1 },
    ]);
    expect(summary.rule_errors).toEqual([
      { rule_id: 'LOW_BALANCE', before: 1, after: 1 },
      { rule_id: 'VELOCITY_1M', before: 0, after: 1 },
    ]);
  });

  it('measures precision and recall of review/decline against the labels', () => {
    // before: t1 fraud approved (fn), t2 legit reviewed (fp), t3 t4 legit approved (tn), t6 fraud approved (fn)
    expect(summary.labels.before).toEqual({ tp: 0, fp: 1, fn: 2, tn: 2, precision: 0, recall: 0 });
    // after: t1 fraud reviewed (tp), t2 t4 legit reviewed (fp), t3 tn, t6 fn → 1/3 and 1/2
    expect(summary.labels.after).toEqual({ tp: 1, fp: 2, fn: 1, tn: 1, precision: 0.3333, recall: 0.5 });
    expect(summary.labels).toMatchObject({ labelled: 5, fraud: 2, legit: 3 });
  });

  it('keeps the first changed transactions, up to the sample size', () => {
    expect(summary.sample_changed).toEqual([
      {
        transaction_id: 't1',
        before: 'approve',
        after: 'review',
        added: ['HIGH_AMOUNT'],
        removed: [],
        label: 'fraud',
      },
      {
        transaction_id: 't4',
        before: 'approve',
        after: 'review',
        added: ['HIGH_AMOUNT'],
        removed: [],
        label: 'legit',
      },
    ]);
  });

  it('has no precision or recall without flagged or fraud labels', () => {
    expect(qualityOf({ tp: 0, fp: 0, fn: 0, tn: 3 })).toMatchObject({ precision: null, recall: null });
    const empty = summarize(tallyOf([]));
    expect(empty).toMatchObject({ total: 0, changed: 0, reasons: [], sample_changed: [] });
    expect(empty.labels.labelled).toBe(0);
  });
});

const FEATURES = {
  count_60s: 1,
  sum_60s: 7000,
  count_1h: 1,
  sum_1h: 7000,
  count_24h: 1,
  sum_24h: 7000,
  seconds_since_previous: null,
  distinct_destinations_24h: 1,
  amount_to_balance: null,
  hour_of_day: 9,
  cross_border: 0,
  prior_transactions: 0,
};

/** A stored row; cast because the replay reads only these columns (the table may grow). */
function storedRow(overrides: Partial<BacktestRow> = {}): BacktestRow {
  const row = {
    transaction_id: 'tx-1',
    seq: 1,
    account_id: 'acc-1',
    amount: 7000,
    currency: 'USD',
    event_time: Date.parse('2026-01-01T09:00:00Z'),
    merchant_id: null,
    merchant_type: null,
    device_type: null,
    channel: null,
    origin_country: 'ES',
    destination_country: 'ES',
    balance: null,
    location_match: null,
    raw: '{}',
    status: 'decided',
    decision: 'approve',
    risk_score: 0,
    fraud_probability: null,
    reasons: '[]',
    rule_errors: '[]',
    features: JSON.stringify(FEATURES),
    rules_version: 1,
    model_version: null,
    shadow_model_version: null,
    shadow_probability: null,
    received_at: 0,
    processed_at: 0,
    latency_ms: 0,
    created_at: 0,
    label: null,
  };
  return { ...row, ...overrides } as BacktestRow;
}

/** The default rules with HIGH_AMOUNT at another amount. */
function withHighAmount(amount: number): RuleSetDocument {
  return {
    ...DEFAULT_RULE_SET,
    rules: DEFAULT_RULE_SET.rules.map((r) =>
      r.id === 'HIGH_AMOUNT' ? { ...r, condition: `amount > ${amount}` } : r,
    ),
  };
}

const thresholds = { review: 50, decline: 90 };
const context = (document: RuleSetDocument, modelThreshold?: number): ReplayContext => ({
  ruleSet: compileRuleSet(document, 0),
  thresholds,
  modelThreshold: () => modelThreshold,
});

describe('replayTransaction', () => {
  it('reproduces the stored decision with the same rules', () => {
    const result = replayTransaction(storedRow(), context(DEFAULT_RULE_SET));
    expect(result?.before).toEqual({ decision: 'approve', codes: [], errors: [] });
    expect(result?.after).toEqual({ decision: 'approve', codes: [], errors: [] });
  });

  it('re-scores with the candidate from the stored input and features', () => {
    const result = replayTransaction(storedRow({ label: 'fraud' }), context(withHighAmount(5000)));
    expect(result).toMatchObject({ label: 'fraud', after: { decision: 'review', codes: ['HIGH_AMOUNT'] } });
    const velocity = { ...FEATURES, count_60s: 4 };
    const fast = replayTransaction(
      storedRow({ amount: 10, features: JSON.stringify(velocity) }),
      context(DEFAULT_RULE_SET),
    );
    expect(fast?.after.codes).toEqual(['VELOCITY_1M']);
  });

  it('keeps the stored model probability and its flag', () => {
    const scored = { fraud_probability: 0.3, model_version: 'm1' };
    // risk 30 < 50, but the model's own threshold (0.2) flags it: review, as live.
    expect(replayTransaction(storedRow(scored), context(DEFAULT_RULE_SET, 0.2))?.after.decision).toBe(
      'review',
    );
    expect(replayTransaction(storedRow(scored), context(DEFAULT_RULE_SET, 0.5))?.after.decision).toBe(
      'approve',
    );
    // Model version unknown: the stored model reasons say whether it flagged.
    const reasons = JSON.stringify([
      { code: 'MODEL_AMOUNT', rule_id: 'model:m1', message: '', severity: 'medium' },
    ]);
    const flagged = replayTransaction(storedRow({ ...scored, reasons }), context(DEFAULT_RULE_SET));
    expect(flagged?.after.decision).toBe('review');
    expect(flagged?.before.codes).toEqual([]);
  });

  it('skips rows without a decision', () => {
    expect(
      replayTransaction(storedRow({ status: 'pending', decision: null }), context(DEFAULT_RULE_SET)),
    ).toBeNull();
  });
});
