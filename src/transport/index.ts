import { AppError } from '../errors.js';
import { InProcessTransport } from './in-process/in-process.transport.js';
import { createJetStreamTransport } from './nats/jetstream.transport.js';
import type { NatsCredentials } from './nats/jetstream.transport.js';
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
  if (natsUrl) return createJetStreamTransport({ ...natsServers(natsUrl), partitions, prefix, logger });
  return new InProcessTransport({ partitions, logger });
}

/** The servers of `CENTINELA_NATS_URL` and the credentials its URLs hold. */
export interface NatsServers {
  /** Without credentials: fit for messages and logs. */
  readonly servers: string[];
  readonly credentials: NatsCredentials;
}

/**
 * Parses a NATS URL (several separated by commas). The client reads no credentials from a
 * URL (`nats://user:pass@host` connected without them, and printed the password in its
 * errors): they are taken out and passed on their own, `user:pass@` or `token@`. Another
 * scheme than `nats://` or `tls://` is CONFIG_INVALID: the client took `http://…` as `nats://…`.
 */
export function natsServers(natsUrl: string): NatsServers {
  const urls = natsUrl
    .split(',')
    .map((server) => server.trim())
    .filter((server) => server !== '');
  const wrong = urls.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^(nats|tls):\/\//i.test(s));
  if (wrong !== undefined || urls.length === 0) {
    const value = redactNatsUrl(wrong ?? natsUrl);
    throw new AppError(
      'CONFIG_INVALID',
      `CENTINELA_NATS_URL must hold nats:// or tls:// URLs (several separated by commas); '${value}' is not one.`,
      { details: { field: 'CENTINELA_NATS_URL', value } },
    );
  }
  const userInfo = urls.map((url) => USER_INFO.exec(url)?.[2]).find((info) => info !== undefined);
  return { servers: urls.map((url) => url.replace(USER_INFO, '$1')), credentials: credentialsOf(userInfo) };
}

/** The `user:pass@` or `token@` part of a URL, after its scheme if it has one. */
const USER_INFO = /^((?:[a-z][a-z0-9+.-]*:\/\/)?)([^@/]*)@/i;

function credentialsOf(userInfo: string | undefined): NatsCredentials {
  if (userInfo === undefined) return {};
  const colon = userInfo.indexOf(':');
  if (colon < 0) return { token: decodeURIComponent(userInfo) };
  return {
    user: decodeURIComponent(userInfo.slice(0, colon)),
    pass: decodeURIComponent(userInfo.slice(colon + 1)),
  };
}

/** `url` with its credentials hidden. */
function redactNatsUrl(url: string): string {
  return url.replace(USER_INFO, '$1***@');
}
