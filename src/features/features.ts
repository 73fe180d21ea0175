/**
 * The features the scorer computes for a transaction at event time, per account.
 * Rules and models read them by these names.
 */
export interface TransactionFeatures {
  /** Transactions of the account with timestamps in [t − 60 s, t], this one included. */
  readonly count_60s: number;
  readonly sum_60s: number;
  readonly count_1h: number;
  readonly sum_1h: number;
  readonly count_24h: number;
  readonly sum_24h: number;
  /** Seconds since the account's latest earlier-or-equal timestamp; null for its first transaction. */
  readonly seconds_since_previous: number | null;
  /** Distinct destination countries in [t − 24 h, t], this one included. */
  readonly distinct_destinations_24h: number;
  /** amount / balance; null when balance is absent or zero. */
  readonly amount_to_balance: number | null;
  /** Hour of day (UTC) of the timestamp, 0–23. */
  readonly hour_of_day: number;
  /** 1 when origin and destination countries are both present and differ. */
  readonly cross_border: 0 | 1;
  /** Transactions of the account received before this one. */
  readonly prior_transactions: number;
}

/** Names of the numeric features, in a fixed order (models rely on it). */
export const FEATURE_NAMES = [
  'count_60s',
  'sum_60s',
  'count_1h',
  'sum_1h',
  'count_24h',
  'sum_24h',
  'seconds_since_previous',
  'distinct_destinations_24h',
  'amount_to_balance',
  'hour_of_day',
  'cross_border',
  'prior_transactions',
] as const satisfies readonly (keyof TransactionFeatures)[];

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Window lengths in milliseconds. */
export const WINDOWS = { '60s': 60_000, '1h': 3_600_000, '24h': 86_400_000 } as const;
