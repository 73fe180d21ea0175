import type { JsMsg } from '@nats-io/jetstream';
import type { ReplyInbox } from './reply-inbox.js';

interface PendingAck {
  readonly msg: JsMsg;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Acks of one consumer, confirmed together: acks made in the same tick are sent as plain
 * acks except the last, which asks the server for a confirmation (on the connection's
 * {@link ReplyInbox}). The server handles a consumer's acks in order, so that confirmation
 * covers the earlier ones: one round trip per batch instead of one per message.
 */
export class AckBatcher {
  private pending: PendingAck[] = [];

  constructor(private readonly inbox: ReplyInbox) {}

  ack(msg: JsMsg): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ msg, resolve, reject });
    });
  }

  private flush(): void {
    const acks = this.pending;
    this.pending = [];
    const last = acks[acks.length - 1];
    if (!last) return;
    for (let i = 0; i < acks.length - 1; i++) this.inbox.sendAck((acks[i] as PendingAck).msg);
    this.inbox.ack(last.msg).then(
      () => acks.forEach((a) => a.resolve()),
      (error: Error) => acks.forEach((a) => a.reject(error)),
    );
  }
}
