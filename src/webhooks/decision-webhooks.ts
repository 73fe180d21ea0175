import type { TransactionService } from '../transactions/transaction.service.js';
import { decisionEmissions } from './decision-events.js';
import type { WebhookService } from './webhook.service.js';

/**
 * Publishes `transaction.review` / `transaction.decline` for every durable decision.
 * `stop()` unsubscribes and waits for the deliveries being queued, so the store can close.
 */
export function publishDecisionWebhooks(
  transactions: TransactionService,
  webhooks: WebhookService,
): { stop(): Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  const unsubscribe = transactions.subscribe((results) => {
    const emissions = decisionEmissions(results);
    if (emissions.length === 0) return;
    const queued = webhooks
      .emitMany(emissions)
      .catch((error: unknown) => console.error('queueing decision webhooks failed', error))
      .finally(() => pending.delete(queued));
    pending.add(queued);
  });
  return {
    async stop() {
      unsubscribe();
      await Promise.all(pending);
    },
  };
}
