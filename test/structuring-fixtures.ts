import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../src/store/database.js';

/** A stored transaction as a structuring test needs it. */
export interface StoredTx {
  readonly id: string;
  readonly account: string;
  readonly merchant: string;
  readonly ms: number;
  readonly amount: number;
}

/** Stores decided transactions directly (no scoring): what structuring reads from the store. */
export async function storeTransactions(db: Kysely<Database>, rows: readonly StoredTx[], firstSeq: number) {
  await db
    .insertInto('transactions')
    .values(
      rows.map((r, i) => ({
        transaction_id: r.id,
        seq: firstSeq + i,
        account_id: r.account,
        amount: r.amount,
        currency: 'USD',
        event_time: r.ms,
        merchant_id: r.merchant,
        merchant_type: null,
        device_type: null,
        channel: null,
        origin_country: null,
        destination_country: null,
        balance: null,
        location_match: null,
        raw: '{}',
        status: 'decided' as const,
        decision: 'approve' as const,
        risk_score: 0,
        fraud_probability: null,
        reasons: '[]',
        rule_errors: '[]',
        features: '{}',
        rules_version: 1,
        model_version: null,
        shadow_model_version: null,
        shadow_probability: null,
        received_at: r.ms,
        processed_at: r.ms,
        latency_ms: 0,
      })),
    )
    .execute();
}

/** Checks a run report is one self-contained page with every chart and the label metrics. */
export function expectFullReport(html: string): void {
  expect(html).toMatch(/^<!doctype html>/);
  for (const id of [
    'alerts-per-method',
    'top-users',
    'top-merchants',
    'hour-heatmap',
    'feature-distributions',
    'precision-recall',
  ])
    expect(html).toContain(`id="${id}"`);
  expect(html).toContain('<svg');
  expect(html).toMatch(/<th>precision<\/th>/);
  // Self-contained: no script, stylesheet link or remote resource (the SVG namespace aside).
  expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/);
}
