import type { JsMsg } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import { createDelivery, natsAltersHeaderValue, NO_SETTLE } from '../delivery.js';
import { isUnstorable } from '../../shared/unstorable-text.js';
import type { Delivery, StreamName } from '../transport.js';

/** Header holding the partition key of a message, as {@link headerValueOf} writes it. */
export const KEY_HEADER = 'Centinela-Key';

/**
 * Any string as a header value that reads back the same. NATS refuses line breaks in header
 * values and trims spaces at their ends, and headers travel as UTF-8 (a lone surrogate would
 * become U+FFFD, merging distinct msgIds), so a string with any of these, or one starting with
 * a quote, is written as a JSON string (ASCII escapes); any other string as it is. Used for
 * keys and msgIds.
 */
export function headerValueOf(text: string): string {
  const encoded = text.startsWith('"') || natsAltersHeaderValue(text) || isUnstorable(text);
  return encoded ? JSON.stringify(text) : text;
}

/** The string a header value written by {@link headerValueOf} holds. */
export function stringOfHeader(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    const text: unknown = JSON.parse(value);
    return typeof text === 'string' ? text : value;
  } catch {
    return value;
  }
}

/** The user headers of a message (NATS's own `Nats-*` headers and the key header left out). */
export function headersOf(hdrs: MsgHdrs | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!hdrs) return out;
  for (const [name, values] of hdrs) {
    if (name.startsWith('Nats-') || name === KEY_HEADER) continue;
    out[name] = values.join(',');
  }
  return out;
}

/** The partition of a subject `<prefix>.<stream>.<partition>`. */
export function partitionOfSubject(subject: string): number {
  return Number(subject.slice(subject.lastIndexOf('.') + 1));
}

/** A consumer delivery: settles the message on the server (`ack` resolves once the server confirmed it). */
export function consumerDelivery(
  stream: StreamName,
  msg: JsMsg,
  deliveryCount: number,
  ack: () => Promise<void>,
): Delivery {
  return createDelivery(fieldsOf(stream, msg, deliveryCount), {
    ack,
    nak: (delayMs) => msg.nak(delayMs),
    term: () => msg.term(),
  });
}

/** A browse or live delivery: nothing to settle. */
export function browsedDelivery(stream: StreamName, msg: JsMsg): Delivery {
  return createDelivery(fieldsOf(stream, msg, 1), NO_SETTLE);
}

function fieldsOf(stream: StreamName, msg: JsMsg, deliveryCount: number) {
  return {
    stream,
    partition: partitionOfSubject(msg.subject),
    seq: msg.seq,
    deliveryCount,
    key: stringOfHeader(msg.headers?.get(KEY_HEADER) ?? ''),
    data: msg.data,
    headers: headersOf(msg.headers),
  };
}
