import { Random } from '../models/random.js';

/** Patterns `centinela simulate` sends; every one but `normal` is a fraud pattern the rules know. */
export const PATTERNS = [
  'normal',
  'velocity_burst',
  'card_testing',
  'cross_border',
  'balance_draining',
  'high_amount',
] as const;
export type Pattern = (typeof PATTERNS)[number];

/** Share of episodes per pattern; the rest is normal traffic. */
export const PATTERN_SHARES: Readonly<Record<Exclude<Pattern, 'normal'>, number>> = {
  velocity_burst: 0.02,
  card_testing: 0.015,
  cross_border: 0.03,
  balance_draining: 0.02,
  high_amount: 0.01,
};

export interface SimulatedTransaction {
  readonly pattern: Pattern;
  readonly body: Readonly<Record<string, unknown>>;
}

interface Account {
  readonly id: string;
  readonly country: string;
  balance: number;
}

const COUNTRIES = ['ES', 'MX', 'CO', 'AR', 'CL', 'PE', 'US', 'FR', 'DE', 'PT'];
const MERCHANT_TYPES = ['retail', 'online', 'travel', 'services'];
const DEVICES = ['mobile', 'desktop', 'tablet'];

/**
 * Seeded synthetic traffic: each episode is one honest payment or a short run of payments
 * following a fraud pattern. Timestamps are left to the sender (real time).
 */
export class TrafficGenerator {
  private readonly random: Random;
  private readonly accounts: Account[];
  private sequence = 0;

  constructor(seed: number, accountCount = 2000) {
    this.random = new Random(seed);
    this.accounts = Array.from({ length: accountCount }, (_, i) => ({
      id: `acc-${seed}-${i}`,
      country: this.pick(COUNTRIES),
      balance: Math.round(this.random.logNormal(3000, 1)),
    }));
  }

  /** The next episode: one or more transactions, in the order to send them. */
  nextEpisode(): SimulatedTransaction[] {
    const account = this.pick(this.accounts);
    const pattern = this.pickPattern();
    const count = EPISODE_LENGTH[pattern](this.random);
    return Array.from({ length: count }, () => ({ pattern, body: this.transaction(pattern, account) }));
  }

  private transaction(pattern: Pattern, account: Account): Record<string, unknown> {
    const amount = round2(AMOUNT[pattern](this.random, account));
    const destination = pattern === 'cross_border' ? this.otherCountry(account.country) : account.country;
    const body = {
      transaction_id: `sim-${++this.sequence}-${this.random.int(1e9).toString(36)}`,
      account_id: account.id,
      amount,
      currency: 'USD',
      merchant_id: `m-${pattern === 'card_testing' ? 'cardtest' : this.random.int(500)}`,
      merchant_type: pattern === 'card_testing' ? 'online' : this.pick(MERCHANT_TYPES),
      device_type: this.pick(DEVICES),
      channel: this.random.chance(0.6) ? 'app' : 'web',
      origin_country: account.country,
      destination_country: destination,
      balance: account.balance,
    };
    account.balance = Math.max(0, round2(account.balance - Math.min(amount, account.balance)));
    if (account.balance < 50) account.balance = Math.round(this.random.logNormal(3000, 1));
    return body;
  }

  private pickPattern(): Pattern {
    let u = this.random.next();
    for (const [pattern, share] of Object.entries(PATTERN_SHARES)) {
      if (u < share) return pattern as Pattern;
      u -= share;
    }
    return 'normal';
  }

  private otherCountry(country: string): string {
    const others = COUNTRIES.filter((c) => c !== country);
    return this.pick(others);
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.random.int(values.length)] as T;
  }
}

const EPISODE_LENGTH: Readonly<Record<Pattern, (random: Random) => number>> = {
  normal: () => 1,
  velocity_burst: (r) => 5 + r.int(4),
  card_testing: (r) => 8 + r.int(6),
  cross_border: () => 1,
  balance_draining: () => 1,
  high_amount: () => 1,
};

const AMOUNT: Readonly<Record<Pattern, (random: Random, account: Account) => number>> = {
  normal: (r, a) => Math.min(r.logNormal(45, 0.9), a.balance * 0.5 + 1),
  velocity_burst: (r) => r.logNormal(80, 0.5),
  card_testing: (r) => r.uniform(0.5, 3),
  cross_border: (r, a) => Math.min(r.logNormal(200, 0.8), a.balance * 0.5 + 1),
  balance_draining: (r, a) => Math.max(1, a.balance * r.uniform(0.92, 1)),
  high_amount: (r) => r.uniform(10_001, 50_000),
};

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
