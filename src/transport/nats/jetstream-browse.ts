import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Delivery, StreamName, TransportLogger } from '../transport.js';
import { browsedDelivery } from './jetstream-delivery.js';
import type { JetStreamNames } from './jetstream-names.js';

export interface BrowseContext {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly names: JetStreamNames;
  readonly logger: TransportLogger;
}

/** Up to `limit` stored messages from `fromSeq` on, read with an ordered (ephemeral) consumer. */
export async function readStream(
  context: BrowseContext,
  stream: StreamName,
  options: { fromSeq?: number; limit: number },
): Promise<Delivery[]> {
  const name = context.names.stream(stream);
  const { state } = await context.jsm.streams.info(name);
  const start = Math.max(options.fromSeq ?? 1, state.first_seq);
  if (state.messages === 0 || start > state.last_seq || options.limit < 1) return [];
  const consumer = await context.js.consumers.get(name, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: start,
  });
  const out: Delivery[] = [];
  const messages = await consumer.fetch({ max_messages: options.limit, expires: 2_000 });
  for await (const msg of messages) {
    out.push(browsedDelivery(stream, msg));
    if (out.length >= options.limit || msg.seq >= state.last_seq || msg.info.pending === 0) break;
  }
  await consumer.delete().catch(() => false);
  return out;
}

/**
 * Calls `listener` with every message stored after this call resolves, through an ordered
 * consumer that starts after the stream's last sequence (so nothing published after the
 * promise resolves is missed, whenever the consumer itself is created).
 */
export async function subscribeStream(
  context: BrowseContext,
  stream: StreamName,
  listener: (d: Delivery) => void,
): Promise<() => void> {
  const name = context.names.stream(stream);
  const { state } = await context.jsm.streams.info(name);
  const consumer = await context.js.consumers.get(name, {
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: state.last_seq + 1,
  });
  const messages = await consumer.consume({
    callback: (msg) => {
      try {
        listener(browsedDelivery(stream, msg));
      } catch (error) {
        context.logger.error(`${stream} listener failed`, error);
      }
    },
  });
  return () => void messages.close().catch(() => undefined);
}
