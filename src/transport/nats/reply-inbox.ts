import { performance } from 'node:perf_hooks';
import type { JsMsg } from '@nats-io/jetstream';
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
  readonly resolve: (reply: Msg) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
}

const ACK = new TextEncoder().encode('+ACK');

/**
 * Requests to JetStream (publishes, acks that ask for a confirmation) whose replies come back
 * on one inbox subscription of the connection, matched by a token in the reply subject, with
 * one timer for all their timeouts.
 *
 * The client library makes every such request a request of its own: a timer, a promise
 * wrapper and a new Error object each (created even when the request succeeds). A publish
 * cost its caller 31 µs of CPU that way against 10 µs this way, in a loop of 30,000
 * publishes with 512 in flight; the server's cost is the same (14 µs).
 *
 * A request that gets no answer within `timeoutMs` (server restarting, connection lost) is
 * rejected; a publish is retried by its caller with the same msgId, so the stream
 * deduplicates it.
 */
export class ReplyInbox {
  private readonly prefix = createInbox();
  /** In request order, which is deadline order: every request has the same timeout. */
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

  /** Publishes `data` to a stream's `subject`; resolves with JetStream's ack, rejects on its error or a timeout. */
  async publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    const outcome = ackOf(await this.request(subject, data, headers));
    if (outcome instanceof Error) throw outcome;
    return outcome;
  }

  /**
   * Acks `msg` and resolves once the server has handled the ack. The server handles a
   * consumer's acks in order, so this also confirms the plain acks sent before it. Unlike the
   * library's `ackAck`, this does not mark `msg` as acked on the client: an ack sent again
   * (after a confirmation that timed out) is confirmed again, and an ack is final on the server.
   */
  async ack(msg: JsMsg): Promise<void> {
    const reply = await this.request(ackSubjectOf(msg), ACK);
    if (reply.headers?.hasError)
      throw new Error(`JetStream did not take the ack: ${reply.headers.code} ${reply.headers.description}`);
  }

  /**
   * Acks `msg` without asking for a confirmation. Sent each time it is called: the library's
   * `ack()` sends once per message, so an ack lost with the connection was never sent again.
   */
  sendAck(msg: JsMsg): void {
    this.nc.publish(ackSubjectOf(msg), ACK);
  }

  private request(subject: string, data: Uint8Array, headers?: MsgHdrs): Promise<Msg> {
    const token = (this.nextToken++).toString(36);
    return new Promise((resolve, reject) => {
      this.nc.publish(subject, data, { headers, reply: `${this.prefix}.${token}` }); // throws once closed
      this.waiting.set(token, { resolve, reject, deadline: performance.now() + this.timeoutMs });
    });
  }

  private settle(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length + 1);
    const waiter = this.waiting.get(token);
    if (!waiter) return; // answered after its timeout: the caller has given up on it already
    this.waiting.delete(token);
    waiter.resolve(msg);
  }

  private expire(now: number): void {
    for (const [token, waiter] of this.waiting) {
      if (waiter.deadline > now) return;
      this.waiting.delete(token);
      waiter.reject(new Error(`JetStream did not answer within ${this.timeoutMs} ms.`));
    }
  }

  private rejectWaiting(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/**
 * The subject `msg` is acked on (`$JS.ACK.…`). The library's message has it, as the library's
 * own `ackAck` uses it, but its public type does not show it.
 */
function ackSubjectOf(msg: JsMsg): string {
  const subject = (msg as unknown as { readonly reply?: unknown }).reply;
  if (typeof subject !== 'string' || subject === '') throw new Error('The message has no ack subject.');
  return subject;
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
