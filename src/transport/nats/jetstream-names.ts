import { assertToken } from '../delivery.js';
import type { StreamName } from '../transport.js';

/**
 * The NATS names of one deployment: stream `CENTINELA_TRANSACTIONS` with subjects
 * `centinela.transactions.<partition>`, and so on, and the lease bucket `CENTINELA_LEASES`.
 * A different prefix gives a separate set (tests use one per test).
 */
export class JetStreamNames {
  readonly bucket: string;

  constructor(readonly prefix = 'centinela') {
    assertToken('NATS prefix', prefix);
    this.bucket = `${prefix.toUpperCase()}_LEASES`;
  }

  stream(stream: StreamName): string {
    return `${this.prefix.toUpperCase()}_${stream.toUpperCase()}`;
  }

  subject(stream: StreamName, partition: number): string {
    return `${this.prefix}.${stream}.${partition}`;
  }

  /** All the subjects of a stream. */
  wildcard(stream: StreamName): string {
    return `${this.prefix}.${stream}.*`;
  }

  /** The durable consumer of one partition for one group. */
  durable(group: string, partition: number): string {
    return `${group}-${partition}`;
  }

  /** The lease key of one partition (a NATS KV key). */
  leaseKey(stream: StreamName, group: string, partition: number): string {
    return `${stream}.${group}.lease.${partition}`;
  }

  /** The liveness key of one group member (a NATS KV key). */
  memberKey(stream: StreamName, group: string, member: string): string {
    return `${stream}.${group}.member.${member}`;
  }

  /** Matches every member key of a group. */
  membersFilter(stream: StreamName, group: string): string {
    return `${stream}.${group}.member.*`;
  }
}
