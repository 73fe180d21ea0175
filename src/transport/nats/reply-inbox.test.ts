import { AckPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, headers, nuid, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableTransports, TEST_NATS_URL } from '../conformance/transport.fixture.js';
import { ReplyInbox } from './reply-inbox.js';

const withNats = (await availableTransports()).includes('jetstream');

const withId = (id: string) => {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
};
const data = new TextEncoder().encode('{"amount":1}');

describe.runIf(withNats)('JetStream publishes and acks answered on one inbox', () => {
  let nc: NatsConnection;
  const stream = `pubacks_${nuid.next().slice(-8)}`;
  beforeAll(async () => {
    nc = await connect({ servers: TEST_NATS_URL });
    await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`${stream}.>`] });
  });
  afterAll(async () => {
    await (await jetstreamManager(nc)).streams.delete(stream);
    await nc.close();
  });

  it('resolves each publish with its own stream sequence, and a repeated msgId as a duplicate', async () => {
    const inbox = new ReplyInbox(nc, 5_000);
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => inbox.publish(`${stream}.p${i % 4}`, data, withId(`m${i}`))),
    );
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    expect(await inbox.publish(`${stream}.p0`, data, withId('m7'))).toEqual({ seq: 8, duplicate: true });
  });

  it('rejects at once a publish to a subject no stream stores', async () => {
    const inbox = new ReplyInbox(nc, 5_000);
    const started = Date.now();
    await expect(inbox.publish(`nostream_${nuid.next()}.x`, data, withId('a'))).rejects.toThrow(
      /did not store the message: 503/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects a publish nobody acks once its timeout has passed', async () => {
    const subject = `silent_${nuid.next()}`;
    const silent = nc.subscribe(subject); // takes the message and never answers: no 503 either
    const inbox = new ReplyInbox(nc, 300);
    await expect(inbox.publish(subject, data, withId('b'))).rejects.toThrow(/did not answer within 300 ms/);
    silent.unsubscribe();
  });

  it('rejects the publishes still waiting when the connection closes', async () => {
    const other = await connect({ servers: TEST_NATS_URL });
    const subject = `silent_${nuid.next()}`;
    other.subscribe(subject);
    const inbox = new ReplyInbox(other, 60_000);
    const waiting = inbox.publish(subject, data, withId('c'));
    await other.close();
    await expect(waiting).rejects.toThrow(/connection is closed/);
    await expect(inbox.publish(subject, data, withId('d'))).rejects.toThrow();
  });

  /** A durable pull consumer on the test stream, and `count` messages fetched from it. */
  async function fetched(count: number): Promise<{ durable: string; msgs: JsMsg[] }> {
    const durable = `c_${nuid.next().slice(-8)}`;
    const subject = `${stream}.acks.${durable}`;
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add(stream, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: subject,
    });
    const inbox = new ReplyInbox(nc, 5_000);
    for (let i = 0; i < count; i++) await inbox.publish(subject, data, withId(`${durable}-${i}`));
    const consumer = await jetstream(nc).consumers.get(stream, durable);
    const msgs: JsMsg[] = [];
    for await (const msg of await consumer.fetch({ max_messages: count, expires: 2_000 })) msgs.push(msg);
    return { durable, msgs };
  }

  it('confirms an ack once the server has it, and with it the plain acks sent before', async () => {
    const { durable, msgs } = await fetched(3);
    const jsm = await jetstreamManager(nc);
    expect((await jsm.consumers.info(stream, durable)).num_ack_pending).toBe(3);
    msgs.slice(0, 2).forEach((m) => m.ack());
    await new ReplyInbox(nc, 5_000).ack(msgs[2] as JsMsg);
    const info = await jsm.consumers.info(stream, durable);
    expect(info.num_ack_pending).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(msgs[2]?.seq);
  });

  it('rejects an ack whose consumer is gone', async () => {
    const { durable, msgs } = await fetched(1);
    await (await jetstreamManager(nc)).consumers.delete(stream, durable);
    const started = Date.now();
    await expect(new ReplyInbox(nc, 5_000).ack(msgs[0] as JsMsg)).rejects.toThrow(
      /did not take the ack: 503/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects an ack of a message with no ack subject', async () => {
    const browsed = { seq: 1 } as unknown as JsMsg;
    await expect(new ReplyInbox(nc, 1_000).ack(browsed)).rejects.toThrow(/no ack subject/);
  });

  it('rejects an ack once the connection is closed', async () => {
    const { msgs } = await fetched(1);
    const other = await connect({ servers: TEST_NATS_URL });
    const inbox = new ReplyInbox(other, 5_000);
    await other.close();
    await expect(inbox.ack(msgs[0] as JsMsg)).rejects.toThrow();
  });
});
