import { AppError } from '../errors.js';
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
  if (natsUrl) return createJetStreamTransport({ servers: natsServers(natsUrl), partitions, prefix, logger });
  return new InProcessTransport({ partitions, logger });
}

/**
 * The servers of a NATS URL (several separated by commas). Another scheme than `nats://` or
 * `tls://` is CONFIG_INVALID: the client took `http://…` as `nats://…`.
 */
export function natsServers(natsUrl: string): string[] {
  const servers = natsUrl
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  const wrong = servers.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^(nats|tls):\/\//i.test(s));
  if (wrong !== undefined || servers.length === 0)
    throw new AppError(
      'CONFIG_INVALID',
      `CENTINELA_NATS_URL must hold nats:// or tls:// URLs (several separated by commas); '${wrong ?? natsUrl}' is not one.`,
      { details: { field: 'CENTINELA_NATS_URL', value: wrong ?? natsUrl } },
    );
  return servers;
}
