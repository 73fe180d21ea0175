import type { DataRecord } from '../dataset.js';
import { Random } from '../random.js';

/** The merchant types of the prototype. */
export const PROTOTYPE_MERCHANT_TYPES = ['retail', 'online', 'travel', 'services'] as const;
/** The device types of the prototype. */
export const PROTOTYPE_DEVICE_TYPES = ['mobile', 'desktop', 'tablet'] as const;

/** Model inputs of prototype records (the label is `is_fraud`). */
export const PROTOTYPE_SCHEMA = {
  numeric: ['amount', 'hour', 'user_history', 'location_match'],
  categorical: ['merchant_type', 'device_type'],
} as const;

/** A record of the prototype's data set. */
export interface PrototypeRecord extends DataRecord {
  readonly amount: number;
  readonly hour: number;
  readonly merchant_type: string;
  readonly user_history: number;
  readonly device_type: string;
  readonly location_match: 0 | 1;
  readonly is_fraud: 0 | 1;
}

/** Options of {@link generatePrototype}. */
export interface PrototypeOptions {
  /** Number of records. Default 15 000 (the prototype's). */
  readonly samples?: number;
  /** Seed of the generator. Default 42. */
  readonly seed?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The earlier Kafka/Flask prototype's synthetic data, column by column as it drew them:
 * amount ~ Exponential(mean 500), hour ~ Uniform[0, 24), merchant_type and device_type
 * uniform, user_history ~ Normal(0, 1), location_match 0 with probability 0.3, and
 * is_fraud = sigmoid(risk − 1.5 + Normal(0, 0.5)) > 0.5 with
 * risk = 0.3·[amount > 1000] + 0.4·[hour < 6] + 0.2·[online] + 0.1·[location_match = 0].
 *
 * @example generatePrototype({ samples: 15_000, seed: 42 })
 */
export function generatePrototype(options: PrototypeOptions = {}): PrototypeRecord[] {
  const { samples = 15_000, seed = 42 } = options;
  const random = new Random(seed);
  const column = <T>(draw: () => T): T[] => Array.from({ length: samples }, draw);
  const amount = column(() => random.exponential(500));
  const hour = column(() => random.uniform(0, 24));
  const merchantType = column(() => random.pick(PROTOTYPE_MERCHANT_TYPES));
  const userHistory = column(() => random.normal(0, 1));
  const deviceType = column(() => random.pick(PROTOTYPE_DEVICE_TYPES));
  const locationMatch = column((): 0 | 1 => (random.chance(0.3) ? 0 : 1));
  const noise = column(() => random.normal(0, 0.5));
  return amount.map((value, i) => {
    const row = {
      amount: value,
      hour: hour[i] as number,
      merchant_type: merchantType[i] as string,
      user_history: userHistory[i] as number,
      device_type: deviceType[i] as string,
      location_match: locationMatch[i] as 0 | 1,
    };
    const fraud = sigmoid(prototypeRisk(row) - 1.5 + (noise[i] as number)) > 0.5;
    return { ...row, is_fraud: fraud ? 1 : 0 };
  });
}

/** The prototype's risk score of a record. */
export function prototypeRisk(
  row: Pick<PrototypeRecord, 'amount' | 'hour' | 'merchant_type' | 'location_match'>,
): number {
  return (
    0.3 * (row.amount > 1000 ? 1 : 0) +
    0.4 * (row.hour < 6 ? 1 : 0) +
    0.2 * (row.merchant_type === 'online' ? 1 : 0) +
    0.1 * (row.location_match === 0 ? 1 : 0)
  );
}
