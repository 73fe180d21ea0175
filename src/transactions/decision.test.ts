import { describe, expect, it } from 'vitest';
import type { RuleAction } from '../rules/rule-set.js';
import { decide } from './decision.js';

const thresholds = { review: 50, decline: 90 };
const hit = (score: number, action: RuleAction) => ({
  rule_id: `R${score}${action}`,
  code: `R${score}`,
  message: 'm',
  severity: 'medium' as const,
  score,
  action,
});
const hits = (...list: ReturnType<typeof hit>[]) => ({ hits: list, errors: [] });

describe('decide: risk_score and decision', () => {
  it('combines rule scores and the model probability as 100 · (1 − (1 − r)(1 − p))', () => {
    expect(decide(hits(hit(20, 'review')), null, thresholds)).toEqual({ decision: 'review', risk_score: 20 });
    // r = 0.3, p = 0.5: 100 · (1 − 0.7 · 0.5) = 65.
    expect(decide(hits(hit(10, 'review'), hit(20, 'review')), 0.5, thresholds).risk_score).toBe(65);
    // r is capped at 1: 150 points of rules are a score of 100.
    expect(decide(hits(hit(80, 'review'), hit(70, 'review')), null, thresholds)).toEqual({
      decision: 'decline',
      risk_score: 100,
    });
  });

  it("adds no risk for an approve rule's score, and lets it approve over the thresholds", () => {
    expect(decide(hits(hit(40, 'approve')), null, thresholds)).toEqual({
      decision: 'approve',
      risk_score: 0,
    });
    expect(decide(hits(hit(95, 'review'), hit(40, 'approve')), null, thresholds)).toEqual({
      decision: 'approve',
      risk_score: 95,
    });
    expect(decide(hits(hit(5, 'decline'), hit(40, 'approve')), null, thresholds).decision).toBe('decline');
  });

  it('rounds the score to one decimal and compares the thresholds with the score as shown', () => {
    // p = 0.4996: 49.96 is shown as 50, and 50 is the review threshold.
    expect(decide(hits(), 0.4996, thresholds)).toEqual({ decision: 'review', risk_score: 50 });
    expect(decide(hits(), 0.4994, thresholds)).toEqual({ decision: 'approve', risk_score: 49.9 });
  });

  it('reviews below the threshold when the model flags the transaction', () => {
    expect(decide(hits(), 0.2, thresholds, true)).toEqual({ decision: 'review', risk_score: 20 });
  });
});
