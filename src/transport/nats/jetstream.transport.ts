import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, nuid, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '../../errors.js';
import { partitionOf } from '../../shared/partition.js';
import { assertConsumeOptions, assertPartitions } from '../delivery.js';
import { PartitionSession } from '../partition-session.js';
import {
  consoleLogger,
  type ConsumeOptions,
  type ConsumerHandle,
  type Delivery,
  type PublishOptions,
  type PublishResult,
  type StreamName,
  type StreamStats,
  type Transport,
  type TransportLogger,
} from '../transport.js';
import { readStream, subscribeStream, type BrowseContext } from './jetstream-browse.js';
import { JetStreamFeed } from './jetstream-feed.js';
import { JetStreamNames } from './jetstream-names.js';
import { jetStreamStats } from './jetstream-stats.js';
import {
  DEFAULT_PUBLISHER_SETTINGS,
  JetStreamPublisher,
  type PublisherSettings,
} from './jetstream-publisher.js';
import {
  deleteStreams,
  DEFAULT_STREAM_SETTINGS,
  ensureStreams,
  type StreamSettings,
} from './jetstream-streams.js';
import { LeaseBucket } from './lease-bucket.js';
import { LeaseManager } from './lease-manager.js';
import { ReplyInbox } from './reply-inbox.js';

/** How the connection authenticates, if it does. */
export interface NatsCredentials {
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
}

export interface JetStreamTransportOptions extends Partial<StreamSettings>, Partial<PublisherSettings> {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222` (credentials go in `credentials`). */
  readonly servers: string | readonly string[];
  readonly credentials?: NatsCredentials;
  readonly partitions: number;
  /** Names streams `<PREFIX>_TRANSACTIONS`… and subjects `<prefix>.transactions.<p>`. Default `centinela`. */
  readonly prefix?: string;
  /** TTL of partition leases and member entries: a dead member's partitions move after about this long. Default 5 s. */
  readonly leaseTtlMs?: number;
  /** Default: the console. */
  readonly logger?: TransportLogger;
}

interface Connected {
  readonly nc: NatsConnection;
  readonly leaseNc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly kv: LeaseBucket;
}

/**
 * The distributed transport on NATS JetStream: file-stored streams with a dedupe window, one
 * durable pull consumer per (group, partition) and partition leases in a KV bucket. The
 * connection reconnects forever; publishes retry until stored; consumers resume by themselves.
 * Create it with {@link createJetStreamTransport}.
 */
export class JetStreamTransport implements Transport {
  readonly kind = 'jetstream' as const;
  readonly partitions: number;
  readonly names: JetStreamNames;
  private readonly publisher: JetStreamPublisher;
  /** Where the connection's publish acks and ack confirmations come back. */
  private readonly inbox: ReplyInbox;
  private readonly handles = new Set<ConsumerHandle>();
  private readonly unsubscribes = new Set<() => void>();
  private readonly logger: TransportLogger;

  constructor(
    private readonly connection: Connected,
    private readonly options: JetStreamTransportOptions,
  ) {
    this.partitions = options.partitions;
    this.names = new JetStreamNames(options.prefix);
    this.logger = options.logger ?? consoleLogger;
    const settings = { ...DEFAULT_PUBLISHER_SETTINGS, ...definedOf(options) };
    this.inbox = new ReplyInbox(connection.nc, settings.publishAttemptMs);
    this.publisher = new JetStreamPublisher(
      connection.nc,
      this.inbox,
      this.names,
      (k) => this.partitionOf(k),
      settings,
      this.logger,
    );
  }

  partitionOf(key: string): number {
    return partitionOf(key, this.partitions);
  }

  publish(stream: StreamName, payload: Uint8Array | object, options: PublishOptions): Promise<PublishResult> {
    return this.publisher.publish(stream, payload, options);
  }

  async consume(stream: StreamName, options: ConsumeOptions): Promise<ConsumerHandle> {
    assertConsumeOptions(options);
    const { js, jsm, kv } = this.connection;
    const session = new PartitionSession({
      consume: options,
      logger: this.logger,
      openFeed: (p) =>
        JetStreamFeed.open({ js, jsm, inbox: this.inbox, names: this.names, stream, options }, p),
    });
    const leases = new LeaseManager({
      kv,
      names: this.names,
      stream,
      group: options.group,
      member: nuid.next(),
      partitions: this.partitions,
      leaseTtlMs: this.options.leaseTtlMs ?? 5_000,
      session,
      logger: this.logger,
    });
    await leases.start();
    const handle: ConsumerHandle = {
      owned: () => session.owned(),
      stop: async () => {
        this.handles.delete(handle);
        await leases.stop();
      },
    };
    this.handles.add(handle);
    return handle;
  }

  async subscribe(stream: StreamName, listener: (d: Delivery) => void): Promise<() => void> {
    const unsubscribe = await subscribeStream(this.browseContext(), stream, listener);
    const remove = () => {
      this.unsubscribes.delete(remove);
      unsubscribe();
    };
    this.unsubscribes.add(remove);
    return remove;
  }

  read(stream: StreamName, options: { fromSeq?: number; limit: number }): Promise<Delivery[]> {
    return readStream(this.browseContext(), stream, options);
  }

  stats(stream: StreamName, group?: string): Promise<StreamStats> {
    return jetStreamStats(this.connection.jsm, this.names, this.partitions, stream, group);
  }

  async delete(stream: StreamName, seq: number): Promise<void> {
    const deleted = await this.connection.jsm.streams
      .deleteMessage(this.names.stream(stream), seq, false)
      .catch(() => false);
    if (!deleted) throw new AppError('NOT_FOUND', `No message ${seq} in stream '${stream}'.`);
  }

  async close(): Promise<void> {
    await this.stopClients();
    await this.drain();
  }

  /** Closes after deleting this prefix's streams and lease bucket (tests). */
  async destroy(): Promise<void> {
    await this.stopClients();
    await deleteStreams(this.connection.jsm, this.names);
    await this.connection.kv.destroy().catch(() => undefined);
    await this.drain();
  }

  private async drain(): Promise<void> {
    const { nc, leaseNc } = this.connection;
    await Promise.all([nc.drain().catch(() => undefined), leaseNc.drain().catch(() => undefined)]);
  }

  private async stopClients(): Promise<void> {
    await Promise.all([...this.handles].map((h) => h.stop()));
    [...this.unsubscribes].forEach((unsubscribe) => unsubscribe());
  }

  private browseContext(): BrowseContext {
    const { js, jsm } = this.connection;
    return { js, jsm, names: this.names, logger: this.logger };
  }
}

/**
 * Connects, reconnecting forever once connected; `STORE_UNAVAILABLE` if the first attempt fails.
 * `noAsyncTraces`: without it the client captures two stack traces for every request it makes
 * (JetStream API calls, pulls), in case it times out; a profile of a worker showed V8's
 * stack-trace machinery among its largest costs. Publishes and ack confirmations are not such
 * requests: they go through the connection's {@link ReplyInbox}.
 */
function connectTo(
  servers: string[],
  name: string,
  credentials: NatsCredentials = {},
): Promise<NatsConnection> {
  return connect({
    servers,
    ...credentials,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    name,
    noAsyncTraces: true,
  }).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'AuthorizationError')
      throw new AppError(
        'CONFIG_INVALID',
        `NATS at ${servers.join(', ')} refused the connection's credentials (user:password@ or token@ in CENTINELA_NATS_URL).`,
        { cause: error },
      );
    throw new AppError('STORE_UNAVAILABLE', `NATS is not reachable at ${servers.join(', ')}.`, {
      cause: error,
    });
  });
}

/** Why the streams could not be set up: a server without JetStream is a configuration error. */
function setUpError(error: unknown, servers: readonly string[]): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof Error && error.name === 'JetStreamNotEnabled')
    return new AppError(
      'CONFIG_INVALID',
      `The NATS server at ${servers.join(', ')} does not have JetStream enabled, for the server (start nats-server with -js) or for this account.`,
      { cause: error },
    );
  return new AppError('STORE_UNAVAILABLE', 'Could not set up the JetStream streams.', { cause: error });
}

function definedOf<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Connects to NATS (reconnecting forever afterwards), creates or updates the streams and the
 * lease bucket, and returns the transport. Fails with `STORE_UNAVAILABLE` when the server
 * does not answer at start.
 *
 * @example
 * const transport = await createJetStreamTransport({ servers: 'nats://127.0.0.1:4222', partitions: 16 });
 */
export async function createJetStreamTransport(
  options: JetStreamTransportOptions,
): Promise<JetStreamTransport> {
  assertPartitions(options.partitions);
  const names = new JetStreamNames(options.prefix);
  const servers = typeof options.servers === 'string' ? [options.servers] : [...options.servers];
  const nc = await connectTo(servers, 'centinela', options.credentials);
  // Leases get a connection of their own so that heavy traffic never delays their renewals.
  const leaseNc = await connectTo(servers, 'centinela-leases', options.credentials).catch(
    async (error: unknown) => {
      await nc.close();
      throw error;
    },
  );
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStreams(
      jsm,
      names,
      { ...DEFAULT_STREAM_SETTINGS, ...definedOf(options) },
      options.partitions,
    );
    const ttl = options.leaseTtlMs ?? 5_000;
    const leaseTimeout = { timeout: Math.max(500, Math.floor(ttl / 3)) };
    const kv = await LeaseBucket.open(
      jetstream(leaseNc, leaseTimeout),
      await jetstreamManager(leaseNc, leaseTimeout),
      names.bucket,
      ttl,
    );
    return new JetStreamTransport({ nc, leaseNc, js: jetstream(nc), jsm, kv }, options);
  } catch (error) {
    await Promise.all([nc.close(), leaseNc.close()]);
    throw setUpError(error, servers);
  }
}
