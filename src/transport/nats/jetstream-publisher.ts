import { PubHeaders } from '@nats-io/jetstream';
import { headers as natsHeaders, nuid, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { AppError } from '../../errors.js';
import { encodePayload, headersError, sleep } from '../delivery.js';
import type { PublishOptions, PublishResult, StreamName, TransportLogger } from '../transport.js';
import { headerValueOf, KEY_HEADER } from './jetstream-delivery.js';
import type { JetStreamNames } from './jetstream-names.js';
import type { ReplyInbox } from './reply-inbox.js';

/** JetStream deduplicates messages by this header within the stream's duplicate window. */
const MSG_ID_HEADER = PubHeaders.MsgIdHdr;

export interface PublisherSettings {
  /** How long a publish keeps retrying (server restarting, no JetStream yet) before it fails. Default 30 s. */
  readonly publishRetryMs: number;
  /**
   * Timeout of one publish attempt, and of the server's confirmation of a worker's acks (both
   * wait on the connection's reply inbox). Keep it well below the consumers' ack wait. Default 5 s.
   */
  readonly publishAttemptMs: number;
}

export const DEFAULT_PUBLISHER_SETTINGS = {
  publishRetryMs: 30_000,
  publishAttemptMs: 5_000,
} as const satisfies PublisherSettings;

/**
 * Publishes with retries and backoff until the server stores the message. Every attempt
 * carries a msgId (a generated one when the caller gives none), so a retry of an attempt
 * whose ack was lost is deduplicated by the server instead of stored twice.
 */
export class JetStreamPublisher {
  /**
   * @param inbox where the acks of `nc` come back; its timeout is the timeout of one publish
   * attempt ({@link PublisherSettings.publishAttemptMs}).
   */
  constructor(
    private readonly nc: NatsConnection,
    private readonly inbox: ReplyInbox,
    private readonly names: JetStreamNames,
    private readonly partitionOf: (key: string) => number,
    private readonly settings: PublisherSettings,
    private readonly logger: TransportLogger,
  ) {}

  async publish(
    stream: StreamName,
    payload: Uint8Array | object,
    options: PublishOptions,
  ): Promise<PublishResult> {
    const subject = this.names.subject(stream, this.partitionOf(options.key));
    const data = encodePayload(payload);
    const headers = headersFor(options);
    const deadline = Date.now() + this.settings.publishRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await this.inbox.publish(subject, data, headers);
        // A duplicate of our own generated id is an earlier attempt of this call that was stored.
        return { seq: ack.seq, duplicate: ack.duplicate && options.msgId !== undefined };
      } catch (error) {
        if (Date.now() >= deadline || this.nc.isClosed() || this.nc.isDraining())
          throw new AppError('STORE_UNAVAILABLE', `Could not store the message in '${stream}'.`, {
            cause: error,
          });
        if (attempt === 0) this.logger.warn(`publish to ${subject} failed; retrying`, error);
        await sleep(Math.min(1000, 25 * 2 ** attempt));
      }
    }
  }
}

/** The headers of a publish, with a msgId (a generated one when the caller gives none). */
function headersFor(options: PublishOptions): MsgHdrs {
  const invalid = headersError(options.headers);
  if (invalid) throw invalid;
  const h = natsHeaders();
  h.set(KEY_HEADER, headerValueOf(options.key));
  for (const [name, value] of Object.entries(options.headers ?? {})) h.set(name, value);
  // Last: the deduplication id is never a caller's header.
  h.set(MSG_ID_HEADER, options.msgId === undefined ? nuid.next() : headerValueOf(options.msgId));
  return h;
}
