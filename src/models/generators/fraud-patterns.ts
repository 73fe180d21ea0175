import type { Random } from '../random.js';
import {
  DEVICES,
  RISKY_COUNTRIES,
  TRAVEL_COUNTRIES,
  atHour,
  cents,
  otherDevice,
  type AccountProfile,
  type PatternName,
  type TransactionDraft,
} from './transaction-draft.js';

type FraudPattern = Exclude<PatternName, 'none'>;

/** The fraud patterns the behavioural generator plants. */
export const FRAUD_PATTERNS: readonly FraudPattern[] = [
  'velocity_burst',
  'card_testing',
  'account_takeover',
  'cross_border',
  'balance_draining',
];

type Episode = (profile: AccountProfile, dayStart: number, random: Random) => TransactionDraft[];

/** Transactions of one fraud episode of `pattern` on the day starting at `dayStart`. */
export function fraudEpisode(
  pattern: FraudPattern,
  profile: AccountProfile,
  dayStart: number,
  random: Random,
): TransactionDraft[] {
  return EPISODES[pattern](profile, dayStart, random).map((draft) => ({ ...draft, pattern }));
}

const EPISODES: Readonly<Record<FraudPattern, Episode>> = {
  velocity_burst: (profile, dayStart, random) =>
    sequence(atHour(dayStart, random.uniform(0, 24)), 5 + random.int(10), 25_000, random, () => ({
      amount: cents(random.logNormal(Math.max(60, profile.typicalAmount * 2), 0.5)),
      merchant_type: random.chance(0.7) ? 'online' : 'retail',
      channel: 'ecommerce',
      device_type: random.pick(DEVICES),
      destination_country: profile.home,
      location_match: random.chance(0.5) ? 0 : 1,
    })),
  card_testing: (profile, dayStart, random) =>
    sequence(atHour(dayStart, random.uniform(0, 24)), 8 + random.int(18), 15_000, random, () => ({
      amount: cents(random.uniform(0.5, 5)),
      merchant_type: 'online',
      channel: 'ecommerce',
      device_type: random.pick(DEVICES),
      destination_country: random.chance(0.3) ? random.pick(RISKY_COUNTRIES) : profile.home,
      location_match: random.chance(0.6) ? 0 : 1,
    })),
  account_takeover: (profile, dayStart, random) =>
    sequence(atHour(dayStart, random.uniform(0, 5.5)), 1 + random.int(4), 600_000, random, () => ({
      amount: cents(random.logNormal(Math.max(400, profile.typicalAmount * 10), 0.5)),
      merchant_type: 'transfer',
      channel: random.chance(0.5) ? 'web' : 'mobile_app',
      device_type: otherDevice(profile.device, random),
      destination_country: random.chance(0.4) ? random.pick(RISKY_COUNTRIES) : profile.home,
      location_match: random.chance(0.85) ? 0 : 1,
    })),
  cross_border: (profile, dayStart, random) =>
    sequence(atHour(dayStart, random.uniform(0, 24)), 2 + random.int(5), 1_800_000, random, () => ({
      amount: cents(random.logNormal(Math.max(250, profile.typicalAmount * 5), 0.6)),
      merchant_type: random.pick(['online', 'travel', 'transfer']),
      channel: random.chance(0.5) ? 'ecommerce' : 'web',
      device_type: random.chance(0.6) ? profile.device : otherDevice(profile.device, random),
      destination_country: random.pick([...RISKY_COUNTRIES, ...TRAVEL_COUNTRIES]),
      location_match: random.chance(0.7) ? 0 : 1,
    })),
  balance_draining: (profile, dayStart, random) =>
    sequence(atHour(dayStart, random.uniform(0, 24)), 2 + random.int(3), 900_000, random, () => ({
      amount: { drain: random.uniform(0.5, 0.97) },
      merchant_type: 'transfer',
      channel: random.chance(0.7) ? 'mobile_app' : 'web',
      device_type: random.chance(0.5) ? profile.device : otherDevice(profile.device, random),
      destination_country: random.chance(0.3) ? random.pick(RISKY_COUNTRIES) : profile.home,
      location_match: random.chance(0.5) ? 0 : 1,
    })),
};

type DraftBody = Omit<TransactionDraft, 'timestamp' | 'merchant_id' | 'pattern'>;

/** `count` transactions from `start`, gaps ~ Exponential(`meanGapMs`), each to a new merchant. */
function sequence(
  start: number,
  count: number,
  meanGapMs: number,
  random: Random,
  body: () => DraftBody,
): TransactionDraft[] {
  let timestamp = start;
  return Array.from({ length: count }, (_, i) => {
    if (i > 0) timestamp += 1_000 + Math.floor(random.exponential(meanGapMs));
    return { timestamp, merchant_id: `m-${5000 + random.int(5000)}`, pattern: 'none', ...body() };
  });
}
