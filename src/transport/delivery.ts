import { AppError, ValidationError, type FieldError } from '../errors.js';
import type { ConsumeOptions, Delivery, PublishOptions } from './transport.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The fields of a delivery; the settle actions are given separately. */
export type DeliveryFields = Omit<Delivery, 'json' | 'ack' | 'nak' | 'term'>;

/** How a delivery is settled; browse and live deliveries use {@link NO_SETTLE}. */
export interface SettleActions {
  ack(): Promise<void>;
  nak(delayMs?: number): void;
  term(): void;
}

/** Settle actions that do nothing (for `read` and `subscribe`). */
export const NO_SETTLE: SettleActions = {
  ack: () => Promise.resolve(),
  nak: () => undefined,
  term: () => undefined,
};

const settled = new WeakSet<Delivery>();

/** Whether `ack`, `nak` or `term` was called on `delivery`. */
export function isSettled(delivery: Delivery): boolean {
  return settled.has(delivery);
}

/**
 * A {@link Delivery} from its fields and settle actions. The fields are copied one by one, so
 * every delivery is made from one literal of one shape: an object spread of them followed by
 * the four functions made V8 define each property through its runtime, 2.7% of a stream
 * worker's CPU. (Getters for `key` and `headers`, to decode a message's headers only when
 * read, cost more than the decoding they saved: two closures per delivery.)
 */
export function createDelivery(fields: DeliveryFields, actions: SettleActions): Delivery {
  const delivery: Delivery = {
    stream: fields.stream,
    partition: fields.partition,
    seq: fields.seq,
    deliveryCount: fields.deliveryCount,
    key: fields.key,
    data: fields.data,
    headers: fields.headers,
    json: <T>() => JSON.parse(decoder.decode(fields.data)) as T,
    ack: () => {
      settled.add(delivery);
      return actions.ack();
    },
    nak: (delayMs?: number) => {
      settled.add(delivery);
      actions.nak(delayMs);
    },
    term: () => {
      settled.add(delivery);
      actions.term();
    },
  };
  return delivery;
}

/** The bytes to store: a `Uint8Array` as it is, anything else as JSON. */
export function encodePayload(payload: Uint8Array | object): Uint8Array {
  return payload instanceof Uint8Array ? payload : encoder.encode(JSON.stringify(payload));
}

/** Printable ASCII but the colon: what NATS accepts in a header name. */
const HEADER_NAME = /^[!-9;-~]+$/;

/** Whether NATS would refuse a header value (a line break) or change it (it trims spaces at its ends). */
export function natsAltersHeaderValue(value: string): boolean {
  return /[\r\n]|^\s|\s$/.test(value);
}

/**
 * The `VALIDATION_FAILED` error for headers that not every transport can carry as they are (a
 * name outside printable ASCII or with a colon, a value with a line break: NATS refuses them; a
 * value with spaces at its ends: NATS trims them); undefined when all can be carried.
 */
export function headersError(headers: PublishOptions['headers']): ValidationError | undefined {
  const errors: FieldError[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name))
      errors.push({
        field: `headers.${name}`,
        code: 'name',
        message: 'A header name is printable ASCII without a colon.',
      });
    else if (natsAltersHeaderValue(value))
      errors.push({
        field: `headers.${name}`,
        code: 'value',
        message: 'A header value cannot contain a line break or start or end with a space (NATS trims them).',
      });
  }
  return errors.length > 0
    ? new ValidationError(errors, 'A header cannot be carried by the transport.')
    : undefined;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Throws `CONFIG_INVALID` unless `value` can be part of a stream, consumer or subject name. */
export function assertToken(what: string, value: string): void {
  if (!TOKEN.test(value))
    throw new AppError('CONFIG_INVALID', `${what} '${value}' must be 1-64 letters, digits, '-' or '_'.`);
}

/** Throws `CONFIG_INVALID` on a group name or limit the transports cannot honour. */
export function assertConsumeOptions(options: ConsumeOptions): void {
  assertToken('Consumer group', options.group);
  for (const name of ['maxBatch', 'ackWaitMs', 'maxDeliver'] as const) {
    const value = options[name];
    if (!Number.isInteger(value) || value < 1)
      throw new AppError('CONFIG_INVALID', `${name} must be a positive integer, got ${value}.`);
  }
}

/** Throws `CONFIG_INVALID` unless `partitions` is an integer in [1, 4096]. */
export function assertPartitions(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 4096)
    throw new AppError('CONFIG_INVALID', `partitions must be an integer in [1, 4096], got ${partitions}.`);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
