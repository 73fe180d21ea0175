import type { Random } from '../random.js';

/** Fraud patterns of the behavioural generator; `none` for honest transactions. */
export type PatternName =
  'none' | 'velocity_burst' | 'card_testing' | 'account_takeover' | 'cross_border' | 'balance_draining';

/** A generated account's habits. */
export interface AccountProfile {
  readonly id: string;
  readonly home: string;
  /** Median amount of an honest transaction. */
  readonly typicalAmount: number;
  /** Mean honest transactions per day. */
  readonly dailyRate: number;
  readonly device: string;
  /** Mean hour of honest activity (UTC); night owls sit near midnight. */
  readonly activeHour: number;
  readonly income: number;
  readonly startBalance: number;
  readonly merchants: readonly string[];
  /** Probability of a day abroad. */
  readonly travelRate: number;
}

/** A transaction before balances and features are known. */
export interface TransactionDraft {
  readonly timestamp: number;
  /** Fixed amount, or the share of the balance left that a draining transfer takes. */
  readonly amount: number | { readonly drain: number };
  readonly merchant_id: string;
  readonly merchant_type: string;
  readonly device_type: string;
  readonly channel: string;
  readonly destination_country: string;
  readonly location_match: 0 | 1;
  readonly pattern: PatternName;
}

export const DAY_MS = 86_400_000;
export const DEVICES = ['mobile', 'desktop', 'tablet'] as const;
export const HOME_COUNTRIES = ['ES', 'MX', 'AR', 'CO', 'CL', 'PE', 'US', 'BR'] as const;
export const TRAVEL_COUNTRIES = ['US', 'FR', 'IT', 'PT', 'GB', 'DE', 'MX', 'ES'] as const;
export const RISKY_COUNTRIES = ['NG', 'RU', 'CN', 'VN', 'RO', 'UA', 'PH', 'ID'] as const;

/** The channel a merchant type is usually paid through. */
export function channelFor(merchantType: string, random: Random): string {
  switch (merchantType) {
    case 'retail':
      return random.chance(0.85) ? 'pos' : 'ecommerce';
    case 'online':
      return random.chance(0.7) ? 'ecommerce' : 'mobile_app';
    case 'transfer':
      return random.chance(0.6) ? 'mobile_app' : 'web';
    default:
      return random.chance(0.5) ? 'pos' : 'ecommerce';
  }
}

/** A device other than `usual`. */
export function otherDevice(usual: string, random: Random): string {
  return random.pick(DEVICES.filter((device) => device !== usual));
}

/** An amount rounded to cents, at least one cent. */
export function cents(amount: number): number {
  return Math.max(0.01, Math.round(amount * 100) / 100);
}

/** A time in the given day at an hour (fractional hours allowed, wrapped into the day). */
export function atHour(dayStart: number, hour: number): number {
  const wrapped = ((hour % 24) + 24) % 24;
  return dayStart + Math.floor(wrapped * 3_600_000);
}
