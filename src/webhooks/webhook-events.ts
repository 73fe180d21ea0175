/** Events a webhook can subscribe to. */
export const WEBHOOK_EVENTS = [
  'transaction.review',
  'transaction.decline',
  'verification.failed',
  'structuring.alert',
] as const;

export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** One event to publish: its name and the `data` of the body sent to subscribers. */
export interface WebhookEmission {
  readonly event: WebhookEvent;
  readonly payload: unknown;
}

/**
 * What features call to publish an event; resolves once the deliveries are durably queued.
 * Returns the number of deliveries queued (0 when nobody subscribes).
 *
 * @example await emit('verification.failed', { user_id, verification_id, reason });
 */
export type EmitWebhook = (event: WebhookEvent, payload: unknown) => Promise<number>;
