import { planAssignment } from '../assignment.js';
import type { PartitionSession } from '../partition-session.js';
import type { StreamName, TransportLogger } from '../transport.js';
import type { JetStreamNames } from './jetstream-names.js';
import { isWrongRevision, type LeaseBucket } from './lease-bucket.js';

export interface LeaseContext {
  readonly kv: LeaseBucket;
  readonly names: JetStreamNames;
  readonly stream: StreamName;
  readonly group: string;
  readonly member: string;
  readonly partitions: number;
  /** The bucket's TTL: a lease or member entry not renewed within it disappears. */
  readonly leaseTtlMs: number;
  readonly session: PartitionSession;
  readonly logger: TransportLogger;
}

interface Lease {
  revision: number;
  /** Local time the last successful renewal was sent. */
  renewedAt: number;
}

/**
 * Partition ownership of one group member, by leases in a NATS KV bucket whose TTL expires
 * entries that are not renewed. Every `ttl/3` the member renews its liveness entry and its
 * leases (compare-and-set on the revision, so a lease taken over by another member is
 * noticed), then plans its share ({@link planAssignment}): it releases partitions above its
 * quota once their in-flight batch is done, and creates leases on free partitions (create
 * fails if the key exists, so two members never both win). A lease not renewed in time is
 * given up locally before the server expires it.
 */
export class LeaseManager {
  private readonly leases = new Map<number, Lease>();
  private readonly busy = new Set<number>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;

  constructor(private readonly context: LeaseContext) {}

  private get renewEveryMs(): number {
    return Math.max(100, Math.floor(this.context.leaseTtlMs / 3));
  }

  /** Registers the member and plans a first share; later ticks run on a timer. */
  async start(): Promise<void> {
    await this.serially(() => this.tick());
    this.schedule();
  }

  /** Stops renewing, finishes in-flight batches, then deletes the leases and the member entry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.context.session.stop();
    await this.serially(async () => {
      const { kv } = this.context;
      for (const p of [...this.leases.keys()]) await this.deleteLease(p);
      await kv.purge(this.memberKey()).catch(() => undefined);
    });
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.serially(() => this.tick())
        .catch((error: unknown) => this.tickFailed(error))
        .finally(() => this.schedule());
    }, this.renewEveryMs);
  }

  private tickFailed(error: unknown): void {
    if (this.failures++ % 10 === 0) this.context.logger.warn('lease renewal failed', error);
    this.expireOverdue();
  }

  private async tick(): Promise<void> {
    const { kv, member, partitions } = this.context;
    this.expireOverdue();
    await kv.put(this.memberKey(), member);
    await this.renew();
    const [members, owners] = await Promise.all([this.liveMembers(), this.owners()]);
    const plan = planAssignment({ partitions, members, me: member, owners });
    this.release(plan.release.filter((p) => this.leases.has(p) && !this.busy.has(p)));
    await this.acquire(plan.acquire);
    this.failures = 0;
  }

  private async renew(): Promise<void> {
    const { kv, member } = this.context;
    await Promise.all(
      [...this.leases].map(async ([p, lease]) => {
        const sentAt = Date.now();
        try {
          lease.revision = await kv.update(this.leaseKey(p), member, lease.revision);
          lease.renewedAt = sentAt;
        } catch (error) {
          if (isWrongRevision(error)) this.lost([p]);
          else throw error;
        }
      }),
    );
  }

  /** Gives up (locally) leases whose renewal is overdue: the server may expire them any moment. */
  private expireOverdue(): void {
    const limit = this.context.leaseTtlMs - this.renewEveryMs / 2;
    const now = Date.now();
    this.lost([...this.leases].filter(([, lease]) => now - lease.renewedAt > limit).map(([p]) => p));
  }

  private lost(partitions: readonly number[]): void {
    if (partitions.length === 0) return;
    this.context.logger.warn(`leases lost: partitions ${partitions.join(', ')}`);
    partitions.forEach((p) => {
      this.leases.delete(p);
      this.busy.add(p);
    });
    void this.context.session.lose(partitions).finally(() => partitions.forEach((p) => this.busy.delete(p)));
  }

  private release(partitions: readonly number[]): void {
    if (partitions.length === 0) return;
    partitions.forEach((p) => this.busy.add(p));
    void this.context.session
      .lose(partitions)
      .then(() => this.serially(() => Promise.all(partitions.map((p) => this.deleteLease(p)))))
      .finally(() => partitions.forEach((p) => this.busy.delete(p)));
  }

  private async acquire(partitions: readonly number[]): Promise<void> {
    const { kv, member, session, logger } = this.context;
    const won: number[] = [];
    await Promise.all(
      partitions
        .filter((p) => !this.busy.has(p))
        .map(async (p) => {
          const sentAt = Date.now();
          const revision = await kv.create(this.leaseKey(p), member).catch(() => undefined);
          if (revision === undefined) return;
          this.leases.set(p, { revision, renewedAt: sentAt });
          won.push(p);
        }),
    );
    if (won.length === 0) return;
    won.forEach((p) => this.busy.add(p));
    void session
      .gain(won)
      .catch((error: unknown) => {
        logger.error('onAssignment failed; partitions released', error);
        return this.serially(() => Promise.all(won.map((p) => this.deleteLease(p))));
      })
      .finally(() => won.forEach((p) => this.busy.delete(p)));
  }

  private async deleteLease(partition: number): Promise<void> {
    const lease = this.leases.get(partition);
    this.leases.delete(partition);
    if (!lease) return;
    await this.context.kv.delete(this.leaseKey(partition), lease.revision).catch(() => undefined);
  }

  private async liveMembers(): Promise<string[]> {
    const { kv, names, stream, group } = this.context;
    const prefix = names.memberKey(stream, group, '');
    const keys = await kv.keys(names.membersFilter(stream, group));
    return keys.map((key) => key.slice(prefix.length));
  }

  /** The owner of every leased partition (mine from memory, others from the bucket). */
  private async owners(): Promise<Map<number, string>> {
    const { kv, partitions, member } = this.context;
    const owners = new Map<number, string>();
    await Promise.all(
      Array.from({ length: partitions }, async (_, p) => {
        if (this.leases.has(p) || this.busy.has(p)) return owners.set(p, member);
        const entry = await kv.get(this.leaseKey(p));
        if (entry && !entry.deleted) owners.set(p, entry.value);
      }),
    );
    return owners;
  }

  private leaseKey(partition: number): string {
    return this.context.names.leaseKey(this.context.stream, this.context.group, partition);
  }

  private memberKey(): string {
    const { names, stream, group, member } = this.context;
    return names.memberKey(stream, group, member);
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation);
    this.chain = result.catch(() => undefined);
    return result;
  }
}
