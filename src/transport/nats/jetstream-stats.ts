import type { JetStreamManager } from '@nats-io/jetstream';
import type { StreamName, StreamStats } from '../transport.js';
import type { JetStreamNames } from './jetstream-names.js';

/**
 * Messages in `stream` and, with `group`, the group's lag: for each partition, what its durable
 * consumer has not yet had acked (pending + ack pending), or every message of the partition
 * when no member of the group has opened that consumer yet.
 */
export async function jetStreamStats(
  jsm: JetStreamManager,
  names: JetStreamNames,
  partitions: number,
  stream: StreamName,
  group?: string,
): Promise<StreamStats> {
  const name = names.stream(stream);
  const info = await jsm.streams.info(name, { subjects_filter: names.wildcard(stream) });
  const messages = info.state.messages;
  if (group === undefined) return { messages };
  const perSubject = info.state.subjects ?? {};
  const lags = await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      const consumer = await jsm.consumers.info(name, names.durable(group, p)).catch(() => undefined);
      if (consumer) return consumer.num_pending + consumer.num_ack_pending;
      return perSubject[names.subject(stream, p)] ?? 0;
    }),
  );
  return { messages, lag: lags.reduce((sum, lag) => sum + lag, 0) };
}
