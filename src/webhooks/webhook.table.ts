/** A webhook subscription. `events` is a JSON array; `secret` signs every delivery. */
export interface WebhookTable {
  id: string;
  url: string;
  events: string;
  secret: string;
  description: string | null;
  created_at: number;
  created_by: string;
  /** Set when deleted: deliveries stop, the log stays readable. */
  deleted_at: number | null;
}

/** One event to one subscription: the outbox row the dispatcher sends and retries. */
export interface WebhookDeliveryTable {
  id: string;
  webhook_id: string;
  event: string;
  /** The exact JSON body sent (signed as is). */
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** When the next attempt is due (ms); while an attempt runs, the end of its lease. */
  next_attempt_at: number;
  last_status_code: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}
