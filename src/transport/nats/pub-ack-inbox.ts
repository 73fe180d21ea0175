import { performance } from 'node:perf_hooks';
import { createInbox, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';

/** Where JetStream stored a published message. */
export interface PubAck {
  readonly seq: number;
  /** The stream already held a message with this msgId (deduplicated, not stored again). */
  readonly duplicate: boolean;
}

/** JetStream's answer to a publish. */
interface PubAckReply {
  readonly stream?: string;
  readonly seq?: number;
  readonly duplicate?: boolean;
  readonly error?: { readonly description?: string };
}

interface Waiter {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
}

/**
 * JetStream publishes whose acks come back on one inbox subscription of the connection,
 * matched by a token in the reply subject, with one timer for all their timeouts.
 *
 * The client library's `js.publish` makes every publish a request of its own: a timer, a
 * promise wrapper and a new Error object each (created even when the request succeeds). A
 * publish cost its caller 31 µs of CPU that way against 10 µs this way, in a loop of
 * 30,000 publishes with 512 in flight; the server's cost is the same (14 µs).
 *
 * A publish that gets no answer within `timeoutMs` (server restarting, connection lost) is
 * rejected; the caller retries it with the same msgId, so the stream deduplicates it.
 */
export class PubAckInbox {
  private readonly prefix = createInbox();
  /** In publish order, which is deadline order: every publish has the same timeout. */
  private readonly waiting = new Map<string, Waiter>();
  private nextToken = 0;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    nc.subscribe(`${this.prefix}.*`, {
      // An error ends the subscription (a permissions violation, say): nothing waiting can be answered.
      callback: (error, msg) => (error ? this.rejectWaiting(error) : this.settle(msg)),
    });
    this.sweeper = setInterval(() => this.expire(performance.now()), Math.min(100, timeoutMs / 4));
    this.sweeper.unref();
    void nc.closed().then(() => {
      clearInterval(this.sweeper);
      this.rejectWaiting(new Error('The NATS connection is closed.'));
    });
  }

  /** Publishes `data` to `subject`; resolves with JetStream's ack, rejects on its error or a timeout. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    const token = (this.nextToken++).toString(36);
    return new Promise((resolve, reject) => {
      this.nc.publish(subject, data, { headers, reply: `${this.prefix}.${token}` }); // throws once closed
      this.waiting.set(token, { resolve, reject, deadline: performance.now() + this.timeoutMs });
    });
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const waiter = this.waiting.get(token);
    if (!waiter) return; // answered after its timeout: the caller has retried already
    this.waiting.delete(token);
    const outcome = ackOf(msg);
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  private expire(now: number): void {
    for (const [token, waiter] of this.waiting) {
      if (waiter.deadline > now) return;
      this.waiting.delete(token);
      waiter.reject(new Error(`JetStream did not answer the publish within ${this.timeoutMs} ms.`));
    }
  }

  private rejectWaiting(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/** The ack in a reply, or why there is none (no stream on the subject: status 503; a stream error). */
function ackOf(msg: Msg): PubAck | Error {
  if (msg.headers?.hasError)
    return new Error(`JetStream did not store the message: ${msg.headers.code} ${msg.headers.description}`);
  let reply: PubAckReply;
  try {
    reply = msg.json<PubAckReply>();
  } catch {
    return new Error('JetStream answered the publish with an unreadable ack.');
  }
  if (reply.error || typeof reply.seq !== 'number' || !reply.stream)
    return new Error(`JetStream did not store the message: ${reply.error?.description ?? 'no ack'}`);
  return { seq: reply.seq, duplicate: reply.duplicate === true };
}
