import { FEATURE_NAMES, type TransactionFeatures } from '../../features/features.js';
import { VelocityState } from '../../features/velocity.js';
import { Random } from '../random.js';
import { FRAUD_PATTERNS, fraudEpisode } from './fraud-patterns.js';
import { drawProfile, honestDay } from './honest-behaviour.js';
import {
  DAY_MS,
  cents,
  type AccountProfile,
  type PatternName,
  type TransactionDraft,
} from './transaction-draft.js';

export type { PatternName } from './transaction-draft.js';

/** Model inputs of behavioural records: what the live scorer has for a transaction (label `is_fraud`). */
export const BEHAVIOURAL_SCHEMA = {
  numeric: ['amount', 'location_match', ...FEATURE_NAMES],
  categorical: ['merchant_type', 'device_type', 'channel'],
} as const;

/** A generated transaction before its features: the live transaction fields, label and pattern. */
export type BehaviouralTransaction = {
  readonly account_id: string;
  readonly amount: number;
  /** Event time, ms since the epoch. */
  readonly timestamp: number;
  readonly merchant_id: string;
  readonly merchant_type: string;
  readonly device_type: string;
  readonly channel: string;
  readonly origin_country: string;
  readonly destination_country: string;
  /** Balance before the transaction. */
  readonly balance: number;
  readonly location_match: 0 | 1;
  readonly is_fraud: 0 | 1;
  readonly pattern: PatternName;
};

/** A generated transaction with the features the live scorer computes for it. */
export type BehaviouralRecord = BehaviouralTransaction & {
  readonly [K in keyof TransactionFeatures]: TransactionFeatures[K];
};

/** Options of {@link generateBehavioural}; defaults give about 55 000 transactions. */
export interface BehaviouralOptions {
  /** Number of accounts. Default 1 000. */
  readonly accounts?: number;
  /** Simulated days. Default 30. */
  readonly days?: number;
  /** Share of accounts that suffer one fraud episode. Default 0.1. */
  readonly fraudAccountShare?: number;
  /** Seed. Default 42. */
  readonly seed?: number;
  /** First simulated day, ms since the epoch (UTC midnight). Default 2026-01-01. */
  readonly start?: number;
}

/**
 * Account histories over simulated days: honest habits (with trips abroad, night owls and
 * shopping sprees to keep it hard) and, for some accounts, one episode of a fraud pattern
 * (velocity burst, card testing, night-time account takeover, cross-border, balance
 * draining). Features are computed by the live {@link VelocityState}, in time order, so a
 * model trained on these records serves directly on live features. Sorted by time.
 */
export function generateBehavioural(options: BehaviouralOptions = {}): BehaviouralRecord[] {
  const { accounts = 1_000, days = 30, fraudAccountShare = 0.1, seed = 42 } = options;
  const start = options.start ?? Date.UTC(2026, 0, 1);
  const random = new Random(seed);
  const histories: (readonly [AccountProfile, TransactionDraft[]])[] = [];
  for (let a = 0; a < accounts; a++) {
    const profile = drawProfile(`acc-${String(a).padStart(6, '0')}`, random);
    const drafts = accountDrafts(profile, days, start, fraudAccountShare, random);
    histories.push([profile, drafts]);
  }
  const raw = histories.flatMap(([profile, drafts]) => withBalances(profile, drafts, start));
  return withFeatures(raw);
}

function accountDrafts(
  profile: AccountProfile,
  days: number,
  start: number,
  fraudShare: number,
  random: Random,
): TransactionDraft[] {
  const drafts: TransactionDraft[] = [];
  for (let day = 0; day < days; day++) drafts.push(...honestDay(profile, start + day * DAY_MS, random));
  if (random.chance(fraudShare)) {
    const day = Math.min(days - 1, 2 + random.int(Math.max(1, days - 2)));
    drafts.push(...fraudEpisode(random.pick(FRAUD_PATTERNS), profile, start + day * DAY_MS, random));
  }
  return drafts.sort((a, b) => a.timestamp - b.timestamp);
}

/** Walks an account's drafts in time order, paying income every 15 days and spending the balance. */
function withBalances(
  profile: AccountProfile,
  drafts: readonly TransactionDraft[],
  start: number,
): BehaviouralTransaction[] {
  let balance = profile.startBalance;
  let paidPeriods = 0;
  return drafts.map((draft) => {
    const period = Math.floor((draft.timestamp - start) / (15 * DAY_MS));
    balance = cents(balance + (period - paidPeriods) * profile.income);
    paidPeriods = period;
    const wanted = typeof draft.amount === 'number' ? draft.amount : balance * draft.amount.drain;
    const amount = cents(draft.pattern === 'none' ? Math.min(wanted, Math.max(balance, 1)) : wanted);
    const record: BehaviouralTransaction = {
      ...draft,
      account_id: profile.id,
      amount,
      origin_country: profile.home,
      balance,
      is_fraud: draft.pattern === 'none' ? 0 : 1,
    };
    balance = Math.max(0, cents(balance - amount));
    return record;
  });
}

function withFeatures(raw: BehaviouralTransaction[]): BehaviouralRecord[] {
  const ordered = raw.sort((a, b) => a.timestamp - b.timestamp || a.account_id.localeCompare(b.account_id));
  const state = new VelocityState();
  return ordered.map((record) => {
    const features = state.next({
      accountId: record.account_id,
      time: record.timestamp,
      amount: record.amount,
      originCountry: record.origin_country,
      destinationCountry: record.destination_country,
      balance: record.balance,
    });
    return { ...record, ...features };
  });
}
