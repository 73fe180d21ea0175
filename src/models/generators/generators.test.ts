import { describe, expect, it } from 'vitest';
import { VelocityState } from '../../features/velocity.js';
import { generateBehavioural } from './behavioural.generator.js';
import { generatePrototype, prototypeRisk } from './prototype.generator.js';

describe('generatePrototype', () => {
  it('is deterministic under a seed', () => {
    expect(generatePrototype({ samples: 500, seed: 3 })).toEqual(
      generatePrototype({ samples: 500, seed: 3 }),
    );
    expect(generatePrototype({ samples: 500, seed: 3 })).not.toEqual(
      generatePrototype({ samples: 500, seed: 4 }),
    );
  });

  it('follows the prototype distributions and labelling rule', () => {
    const rows = generatePrototype({ samples: 20_000, seed: 1 });
    const mean = (pick: (r: (typeof rows)[number]) => number) =>
      rows.reduce((s, r) => s + pick(r), 0) / rows.length;
    expect(mean((r) => r.amount)).toBeGreaterThan(480);
    expect(mean((r) => r.amount)).toBeLessThan(520);
    expect(mean((r) => 1 - r.location_match)).toBeCloseTo(0.3, 1);
    expect(rows.every((r) => r.hour >= 0 && r.hour < 24)).toBe(true);
    // fraud needs risk + noise > 1.5, so it concentrates where risk is high
    const rate = (rs: typeof rows) => rs.filter((r) => r.is_fraud === 1).length / rs.length;
    expect(rate(rows.filter((r) => prototypeRisk(r) >= 0.7))).toBeGreaterThan(
      5 * rate(rows.filter((r) => prototypeRisk(r) <= 0.3)),
    );
  });
});

describe('generateBehavioural', () => {
  const options = { accounts: 60, days: 10, seed: 5, fraudAccountShare: 0.3 };

  it('is deterministic under a seed', () => {
    expect(generateBehavioural(options)).toEqual(generateBehavioural(options));
  });

  it('plants labelled fraud patterns among honest transactions', () => {
    const rows = generateBehavioural(options);
    const patterns = new Set(rows.map((r) => r.pattern));
    expect(patterns.has('none')).toBe(true);
    expect(patterns.size).toBeGreaterThan(3);
    expect(rows.every((r) => (r.pattern === 'none') === (r.is_fraud === 0))).toBe(true);
    expect(rows.every((r) => r.balance >= 0 && r.amount > 0)).toBe(true);
  });

  it('carries exactly the features the live VelocityState computes', () => {
    const rows = generateBehavioural(options);
    const state = new VelocityState();
    for (const row of rows) {
      const features = state.next({
        accountId: row.account_id,
        time: row.timestamp,
        amount: row.amount,
        originCountry: row.origin_country,
        destinationCountry: row.destination_country,
        balance: row.balance,
      });
      expect(row).toMatchObject(features);
    }
  });
});
