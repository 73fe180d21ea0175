import type { DecisionResult } from '../transactions/decision.js';
import type { WebhookEmission } from './webhook-events.js';

/**
 * Webhook events of a batch of durable decisions: `transaction.review` and
 * `transaction.decline` with the decision as `data` (approvals publish nothing).
 */
export function decisionEmissions(results: readonly DecisionResult[]): WebhookEmission[] {
  const emissions: WebhookEmission[] = [];
  for (const result of results) {
    if (result.decision === 'review') emissions.push({ event: 'transaction.review', payload: result });
    else if (result.decision === 'decline') emissions.push({ event: 'transaction.decline', payload: result });
  }
  return emissions;
}
