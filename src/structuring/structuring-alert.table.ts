import type { FeatureName } from './structuring.js';

/**
 * The features of the flagged window (structuring.ts's FEATURES): NULL where the window has
 * none (`std_amt` of a lone transaction, `delta` without a previous one).
 */
export type AlertFeatureColumns = Record<FeatureName, number | null>;

/** A window flagged by one method, or by at least `min_methods` methods (`consensus`). */
export interface StructuringAlertTable extends AlertFeatureColumns {
  /**
   * Unique per window and method: `namespace|method|scope|window|end|user|merchant|transaction`,
   * each text as its length and itself (`alerts.ts`). The namespace is the run id, or `store`
   * for scheduled runs, so micro-batches never store an alert twice.
   */
  alert_key: string;
  run_id: string;
  method: string;
  /** `user` or `user_merchant`. */
  scope: string;
  /** Window length as given, e.g. `24h`. */
  window_length: string;
  user_id: string;
  merchant_id: string | null;
  /** The transaction the window ends at. */
  transaction_id: string | null;
  score: number;
  /** Methods that flagged this window. */
  votes: number;
  /** First transaction in the window and the window end, ms. */
  window_start: number;
  window_end: number;
  /** The input's label of the ending transaction, when it had one. */
  label: number | null;
}
