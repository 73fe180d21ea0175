import { jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, nuid, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableTransports, TEST_NATS_URL } from '../conformance/transport.fixture.js';
import { PubAckInbox } from './pub-ack-inbox.js';

const withNats = (await availableTransports()).includes('jetstream');

const withId = (id: string) => {
  const h = headers();
  h.set('Nats-Msg-Id', id);
  return h;
};
const data = new TextEncoder().encode('{"amount":1}');

describe.runIf(withNats)('JetStream publishes acked on one inbox', () => {
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
    const inbox = new PubAckInbox(nc, 5_000);
    const acks = await Promise.all(
      Array.from({ length: 200 }, (_, i) => inbox.publish(`${stream}.p${i % 4}`, data, withId(`m${i}`))),
    );
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(acks.every((a) => !a.duplicate)).toBe(true);
    expect(await inbox.publish(`${stream}.p0`, data, withId('m7'))).toEqual({ seq: 8, duplicate: true });
  });

  it('rejects at once a publish to a subject no stream stores', async () => {
    const inbox = new PubAckInbox(nc, 5_000);
    const started = Date.now();
    await expect(inbox.publish(`nostream_${nuid.next()}.x`, data, withId('a'))).rejects.toThrow(
      /did not store the message: 503/,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('rejects a publish nobody acks once its timeout has passed', async () => {
    const subject = `silent_${nuid.next()}`;
    const silent = nc.subscribe(subject); // takes the message and never answers: no 503 either
    const inbox = new PubAckInbox(nc, 300);
    await expect(inbox.publish(subject, data, withId('b'))).rejects.toThrow(/did not answer .* 300 ms/);
    silent.unsubscribe();
  });

  it('rejects the publishes still waiting when the connection closes', async () => {
    const other = await connect({ servers: TEST_NATS_URL });
    const subject = `silent_${nuid.next()}`;
    other.subscribe(subject);
    const inbox = new PubAckInbox(other, 60_000);
    const waiting = inbox.publish(subject, data, withId('c'));
    await other.close();
    await expect(waiting).rejects.toThrow(/connection is closed/);
    await expect(inbox.publish(subject, data, withId('d'))).rejects.toThrow();
  });
});
