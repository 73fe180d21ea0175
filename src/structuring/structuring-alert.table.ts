/** A window flagged by one method, or by at least `min_methods` methods (`consensus`). */
export interface StructuringAlertTable {
  /**
   * Unique per window and method: `namespace|method|scope|window|user|merchant|end`. The
   * namespace is the run id, or `store` for scheduled runs, so micro-batches never store an
   * alert twice.
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
  /** JSON of the window features. */
  features: string;
  /** The input's label of the ending transaction, when it had one. */
  label: number | null;
}
