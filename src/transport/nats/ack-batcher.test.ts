import type { JsMsg } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';
import { AckBatcher } from './ack-batcher.js';
import type { ReplyInbox } from './reply-inbox.js';

/** A message that counts its plain acks. */
function message(seq: number) {
  return { seq, plainAcks: 0 };
}

/** An inbox whose confirmations the test settles by hand; it counts each message's plain acks. */
function inbox() {
  const confirmations: { msg: JsMsg; settle: (error?: Error) => void }[] = [];
  const fake = {
    ack: (msg: JsMsg) =>
      new Promise<void>((resolve, reject) =>
        confirmations.push({ msg, settle: (error) => (error ? reject(error) : resolve()) }),
      ),
    sendAck: (msg: ReturnType<typeof message>) => void msg.plainAcks++,
  };
  return { fake: fake as unknown as ReplyInbox, confirmations };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('AckBatcher', () => {
  it('sends the acks of one tick as plain acks and asks for a confirmation of the last only', async () => {
    const { fake, confirmations } = inbox();
    const batcher = new AckBatcher(fake);
    const msgs = [message(1), message(2), message(3)];
    let done = 0;
    const acks = msgs.map((m) => batcher.ack(m as unknown as JsMsg).then(() => done++));
    await tick();
    expect(msgs.map((m) => m.plainAcks)).toEqual([1, 1, 0]);
    expect(confirmations.map((c) => c.msg.seq)).toEqual([3]);
    expect(done).toBe(0); // nothing counts as acked before the server confirms
    confirmations[0]?.settle();
    await Promise.all(acks);
    expect(done).toBe(3);
  });

  it('fails every ack of the tick when the confirmation fails, and starts afresh at the next tick', async () => {
    const { fake, confirmations } = inbox();
    const batcher = new AckBatcher(fake);
    const msgs = [message(1), message(2)];
    const first = msgs.map((m) => batcher.ack(m as unknown as JsMsg));
    await tick();
    confirmations[0]?.settle(new Error('JetStream did not take the ack: 503'));
    const outcomes = await Promise.allSettled(first);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    // acked again after the failure: its plain ack is sent again (it may have been lost)
    const again = [msgs[0], message(3)].map((m) => batcher.ack(m as unknown as JsMsg));
    await tick();
    expect(msgs.map((m) => m.plainAcks)).toEqual([2, 0]);
    expect(confirmations.map((c) => c.msg.seq)).toEqual([2, 3]);
    confirmations[1]?.settle();
    await expect(Promise.all(again)).resolves.toEqual([undefined, undefined]);
  });
});
