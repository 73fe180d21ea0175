import { InProcessTransport } from './in-process/in-process.transport.js';
import { createJetStreamTransport } from './nats/jetstream.transport.js';
import type { Transport, TransportLogger } from './transport.js';

export type * from './transport.js';
export { consoleLogger, RetryBatch, STREAM_NAMES } from './transport.js';
export {
  InProcessTransport,
  type InProcessConsumerHandle,
  type InProcessTransportOptions,
} from './in-process/in-process.transport.js';
export {
  createJetStreamTransport,
  JetStreamTransport,
  type JetStreamTransportOptions,
} from './nats/jetstream.transport.js';

export interface TransportConfig {
  /** NATS URL: JetStream when set, in-process otherwise. */
  readonly natsUrl?: string;
  readonly partitions: number;
  /** JetStream stream and subject prefix. Default `centinela`. */
  readonly prefix?: string;
  readonly logger?: TransportLogger;
}

/**
 * The transport of the deployment mode: NATS JetStream when `natsUrl` is set (distributed),
 * in-process otherwise (embedded).
 */
export async function createTransport(config: TransportConfig): Promise<Transport> {
  const { natsUrl, partitions, prefix, logger } = config;
  if (natsUrl) return createJetStreamTransport({ servers: natsUrl, partitions, prefix, logger });
  return new InProcessTransport({ partitions, logger });
}
