import type { Random } from '../random.js';
import {
  DEVICES,
  HOME_COUNTRIES,
  TRAVEL_COUNTRIES,
  atHour,
  cents,
  channelFor,
  otherDevice,
  type AccountProfile,
  type TransactionDraft,
} from './transaction-draft.js';

const MERCHANT_TYPES = ['retail', 'online', 'services', 'travel', 'transfer'] as const;
const MERCHANT_WEIGHTS = [0.36, 0.25, 0.2, 0.04, 0.15] as const;

/** Draws the habits of one honest-looking account. */
export function drawProfile(id: string, random: Random): AccountProfile {
  const typicalAmount = random.logNormal(45, 0.7);
  return {
    id,
    home: random.weighted(HOME_COUNTRIES, [3, 3, 2, 2, 1, 1, 2, 2]),
    typicalAmount,
    dailyRate: random.uniform(0.4, 3),
    device: random.weighted(DEVICES, [6, 3, 1]),
    activeHour: random.chance(0.08) ? random.uniform(22, 26) : random.normal(14, 2.5),
    income: cents(typicalAmount * random.uniform(25, 60)),
    startBalance: cents(random.logNormal(1500, 0.9)),
    merchants: Array.from({ length: 6 + random.int(10) }, () => `m-${random.int(5000)}`),
    travelRate: random.chance(0.15) ? random.uniform(0.05, 0.25) : 0,
  };
}

/** Honest transactions of one account on one day: habits, trips abroad, occasional sprees. */
export function honestDay(profile: AccountProfile, dayStart: number, random: Random): TransactionDraft[] {
  const abroad = random.chance(profile.travelRate) ? random.pick(TRAVEL_COUNTRIES) : null;
  const count = random.poisson(profile.dailyRate);
  const drafts: TransactionDraft[] = [];
  for (let i = 0; i < count; i++) {
    const timestamp = atHour(dayStart, random.normal(profile.activeHour, 3));
    drafts.push(honestTransaction(profile, timestamp, abroad, random));
  }
  if (random.chance(0.03)) drafts.push(...spree(profile, dayStart, random));
  return drafts;
}

function honestTransaction(
  profile: AccountProfile,
  timestamp: number,
  abroad: string | null,
  random: Random,
): TransactionDraft {
  const merchantType =
    abroad && random.chance(0.4) ? 'travel' : random.weighted(MERCHANT_TYPES, MERCHANT_WEIGHTS);
  const large = random.chance(0.02) ? random.uniform(8, 30) : 1;
  return {
    timestamp,
    amount: cents(random.logNormal(profile.typicalAmount, 0.8) * large),
    merchant_id: random.chance(0.8) ? random.pick(profile.merchants) : `m-${random.int(5000)}`,
    merchant_type: merchantType,
    device_type: random.chance(0.9) ? profile.device : otherDevice(profile.device, random),
    channel: channelFor(merchantType, random),
    destination_country: abroad ?? profile.home,
    location_match: abroad ? (random.chance(0.5) ? 0 : 1) : random.chance(0.03) ? 0 : 1,
    pattern: 'none',
  };
}

/** Several honest purchases within minutes (a shopping trip, split bills). */
function spree(profile: AccountProfile, dayStart: number, random: Random): TransactionDraft[] {
  let timestamp = atHour(dayStart, random.normal(profile.activeHour, 2));
  return Array.from({ length: 3 + random.int(4) }, () => {
    timestamp += Math.floor(random.exponential(90_000));
    return honestTransaction(profile, timestamp, null, random);
  });
}
