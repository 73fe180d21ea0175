import { describe, expect, it } from 'vitest';
import type { DecisionResult } from '../transactions/decision.js';
import type { DecisionListener } from '../transactions/ingestion.js';
import type { DecisionChangeListener } from '../transactions/transaction.service.js';
import { LiveFeed, type LiveCounters, type LiveEvent } from './live-feed.js';

function decided(id: string, decision: DecisionResult['decision']): DecisionResult {
  return { transaction_id: id, account_id: 'a', decision, reasons: [] } as unknown as DecisionResult;
}

describe('LiveFeed totals', () => {
  it('count each transaction decided since the start by its decision now, step-ups included', () => {
    let onDecisions: DecisionListener = () => undefined;
    let onChange: DecisionChangeListener = () => undefined;
    const feed = new LiveFeed({
      subscribe: (listener) => ((onDecisions = listener), () => undefined),
      subscribeChanges: (listener) => ((onChange = listener), () => undefined),
    });
    const totals = () => {
      let seen: readonly LiveEvent[] = [];
      feed.connect((events) => (seen = events))();
      return (seen[0]?.data as LiveCounters).totals;
    };
    onDecisions([decided('t1', 'review'), decided('t2', 'review'), decided('t3', 'approve')]);
    expect(totals()).toEqual({ approve: 1, review: 2, decline: 0 });
    const now = Date.now();
    onChange({ transaction_id: 't1', from: 'review', to: 'approve', decided_at: now });
    onChange({ transaction_id: 't2', from: 'review', to: 'decline', decided_at: now });
    expect(totals()).toEqual({ approve: 2, review: 0, decline: 1 });
    // A transaction decided before the service started was never counted: its change is not either.
    onChange({ transaction_id: 'old', from: 'review', to: 'approve', decided_at: now - 86_400_000 });
    // A decision the totals do not hold (none is in review now: one missed) cannot move.
    onChange({ transaction_id: 't5', from: 'review', to: 'approve', decided_at: now });
    expect(totals()).toEqual({ approve: 2, review: 0, decline: 1 });
    // A failed step-up that keeps the transaction in review changes nothing.
    onChange({ transaction_id: 't4', from: 'review', to: 'review', decided_at: now });
    expect(totals()).toEqual({ approve: 2, review: 0, decline: 1 });
    feed.stop();
  });
});
