import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { partitionOf } from '../shared/partition.js';
import { canRestartNats, ensureNatsRunning, restartNats } from './conformance/nats-server.fixture.js';
import { natsProxy } from './conformance/nats-proxy.fixture.js';
import { createJetStreamTransport, type JetStreamTransport } from './nats/jetstream.transport.js';
import {
  availableTransports,
  createTestTransport,
  TEST_NATS_URL,
  TEST_PARTITIONS,
  waitFor,
  type TestTransport,
} from './conformance/transport.fixture.js';
import { sleep } from './delivery.js';
import {
  RetryBatch,
  type ConsumeOptions,
  type ConsumerHandle,
  type Delivery,
  type Transport,
} from './transport.js';

const kinds = await availableTransports();
const restartable = kinds.includes('jetstream') && canRestartNats(TEST_NATS_URL);

interface Seen {
  readonly seq: number;
  readonly partition: number;
  readonly deliveryCount: number;
  readonly consumer: string;
}

/** Joins `group` with a handler that records every delivery and acks unless `settle` says otherwise. */
async function recorder(
  transport: Transport,
  name: string,
  seen: Seen[],
  options: Partial<ConsumeOptions> & { settle?: (d: Delivery) => void | Promise<void> } = {},
): Promise<ConsumerHandle> {
  return transport.consume('transactions', {
    group: 'workers',
    maxBatch: 10,
    ackWaitMs: 1000,
    maxDeliver: 5,
    handler: async (batch) => {
      for (const d of batch)
        seen.push({ seq: d.seq, partition: d.partition, deliveryCount: d.deliveryCount, consumer: name });
      await Promise.all(batch.map(async (d) => (options.settle ? options.settle(d) : d.ack())));
    },
    ...options,
  });
}

async function publishMany(transport: Transport, count: number, keys = 30): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) {
    const { seq } = await transport.publish(
      'transactions',
      { i },
      { key: `acc-${i % keys}`, msgId: `m-${i}` },
    );
    seqs.push(seq);
  }
  return seqs;
}

const distinctSeqs = (seen: readonly Seen[]) => new Set(seen.map((s) => s.seq));

/** Each partition's messages first arrived in stream order (redeliveries of the same message aside). */
function expectOrderPerPartition(seen: readonly Seen[]): void {
  for (let p = 0; p < TEST_PARTITIONS; p++) {
    const order = [...distinctSeqs(seen.filter((s) => s.partition === p))];
    expect(order).toEqual([...order].sort((x, y) => x - y));
  }
}

afterAll(async () => {
  if (restartable) await ensureNatsRunning();
});

describe.each(kinds)('%s transport', (kind) => {
  let t: TestTransport;
  beforeEach(async () => {
    t = await createTestTransport(kind);
  });
  afterEach(async () => {
    await t.destroy();
  });

  it('stores what it publishes, readable by another client, with key, partition and headers', async () => {
    const a = await t.transport.publish('transactions', { n: 1 }, { key: 'acc-1', headers: { trace: 'x' } });
    const b = await t.transport.publish('transactions', new TextEncoder().encode('raw'), { key: 'acc-2' });
    expect(b.seq).toBeGreaterThan(a.seq);
    const read = await (await t.peer()).read('transactions', { limit: 10 });
    expect(read.map((d) => d.seq)).toEqual([a.seq, b.seq]);
    expect(read[0]).toMatchObject({ key: 'acc-1', partition: t.transport.partitionOf('acc-1') });
    expect(read[0]?.headers).toEqual({ trace: 'x' });
    expect(read[0]?.json()).toEqual({ n: 1 });
    expect(() => read[1]?.json()).toThrow();
  });

  it('dedupes a msgId published twice within the window', async () => {
    const first = await t.transport.publish('transactions', { n: 1 }, { key: 'k', msgId: 'tx-1' });
    const again = await t.transport.publish('transactions', { n: 1 }, { key: 'k', msgId: 'tx-1' });
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ seq: first.seq, duplicate: true });
    expect(await t.transport.read('transactions', { limit: 10 })).toHaveLength(1);
  });

  it('keeps keys and msgIds exactly, whatever their characters', async () => {
    const keys = [
      'line\nbreak',
      'cr\rlf',
      ' padded ',
      '"quoted"',
      'tab\tinside',
      'ñandú',
      '',
      'x\ud800',
      'x\udbff',
    ];
    for (const key of keys) {
      const first = await t.transport.publish('transactions', { key }, { key, msgId: `id ${key}` });
      const again = await t.transport.publish('transactions', { key }, { key, msgId: `id ${key}` });
      expect(again).toEqual({ seq: first.seq, duplicate: true });
    }
    const read = await (await t.peer()).read('transactions', { limit: 20 });
    expect(read.map((d) => d.key)).toEqual(keys);
    expect(read.map((d) => d.partition)).toEqual(keys.map((k) => t.transport.partitionOf(k)));
  });

  it('keeps msgIds apart that differ only in what a header would lose', async () => {
    const ids = ['a', 'a ', ' a', '"a"', 'a\ud800', 'a\udbff', 'a\ufffd'];
    const published = [];
    for (const msgId of ids)
      published.push(await t.transport.publish('transactions', { msgId }, { key: 'k', msgId }));
    expect(published.map((p) => p.duplicate)).toEqual(ids.map(() => false));
    expect(new Set(published.map((p) => p.seq)).size).toBe(ids.length);
  });

  it('refuses at once, naming the header, a header some transport cannot carry', async () => {
    const started = Date.now();
    const refusable: Record<string, string>[] = [
      { 'bad name': 'x' },
      { 'bad:name': 'x' },
      { trace: 'a\nb' },
      { trace: ' padded' },
    ];
    for (const headers of refusable) {
      const refused = t.transport.publish('transactions', { n: 1 }, { key: 'k', headers });
      await expect(refused).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ field: `headers.${Object.keys(headers)[0]}` }],
      });
    }
    expect(Date.now() - started).toBeLessThan(1000); // not retried as if the server were down
    expect(await t.transport.read('transactions', { limit: 10 })).toEqual([]);
  });

  it('delivers each acked message once, in order per partition, one batch of a partition at a time', async () => {
    const active = new Map<number, number>();
    const batches: Delivery[][] = [];
    const seqs = await publishMany(t.transport, 200);
    const handle = await t.transport.consume('transactions', {
      group: 'workers',
      maxBatch: 10,
      ackWaitMs: 1000,
      maxDeliver: 5,
      handler: async (batch, partition) => {
        active.set(partition, (active.get(partition) ?? 0) + 1);
        expect(active.get(partition)).toBe(1);
        batches.push([...batch]);
        await sleep(Math.random() * 5);
        await Promise.all(batch.map((d) => d.ack()));
        active.set(partition, (active.get(partition) ?? 1) - 1);
      },
    });
    const delivered = () => batches.flat();
    await waitFor(() => delivered().length >= 200, 15_000, 'every message');
    await sleep(1500); // past ackWaitMs: acked messages must not come back
    expect(
      delivered()
        .map((d) => d.seq)
        .sort((x, y) => x - y),
    ).toEqual(seqs);
    expect(delivered().every((d) => d.deliveryCount === 1)).toBe(true);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(10);
      expect(new Set(batch.map((d) => d.partition)).size).toBe(1);
    }
    for (let p = 0; p < TEST_PARTITIONS; p++) {
      const order = delivered()
        .filter((d) => d.partition === p)
        .map((d) => d.seq);
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    await handle.stop();
  });

  it('redelivers an unacked message after ackWaitMs with deliveryCount + 1, at most maxDeliver times', async () => {
    const seen: Seen[] = [];
    await t.transport.publish('transactions', { n: 1 }, { key: 'acc-1' });
    await recorder(t.transport, 'a', seen, { ackWaitMs: 400, maxDeliver: 3, settle: () => undefined });
    await waitFor(() => seen.length >= 3, 10_000, 'three deliveries');
    await sleep(1200);
    expect(seen.map((s) => s.deliveryCount)).toEqual([1, 2, 3]);
  });

  it('redelivers a nak at once and never a term', async () => {
    const seen: Seen[] = [];
    const [naked, termed] = await publishMany(t.transport, 2, 1);
    await recorder(t.transport, 'a', seen, {
      ackWaitMs: 5000,
      settle: (d) => (d.deliveryCount > 1 ? d.ack() : d.seq === naked ? d.nak() : d.term()),
    });
    await waitFor(() => seen.length >= 3, 3000, 'the nak redelivered before ackWaitMs');
    await sleep(500);
    expect(seen.map((s) => [s.seq, s.deliveryCount])).toEqual([
      [naked, 1],
      [termed, 1],
      [naked, 2],
    ]);
  });

  it('delivers a batch whose handler threw again, before anything after it', async () => {
    const seen: Seen[] = [];
    const batches: Seen[][] = [];
    await publishMany(t.transport, 30, 1);
    await recorder(t.transport, 'a', seen, {
      handler: async (batch, partition) => {
        const got = batch.map((d) => ({
          seq: d.seq,
          partition,
          deliveryCount: d.deliveryCount,
          consumer: 'a',
        }));
        seen.push(...got);
        batches.push(got);
        if (batches.length > 1) return void (await Promise.all(batch.map((d) => d.ack())));
        await batch[0]?.ack();
        throw new Error('store down');
      },
    });
    await waitFor(() => distinctSeqs(seen).size === 30, 10_000, 'every message');
    const [failed, retried] = batches as [Seen[], Seen[]];
    const unacked = failed.slice(1).map((s) => s.seq);
    expect(retried.slice(0, unacked.length).map((s) => s.seq)).toEqual(unacked);
    expect(retried.slice(0, unacked.length).every((s) => s.deliveryCount === 2)).toBe(true);
    expectOrderPerPartition(seen);
  });

  it('stops handing out a batch that keeps failing at its maxDeliver-th delivery', async () => {
    const seen: Seen[] = [];
    await publishMany(t.transport, 1, 1);
    await recorder(t.transport, 'a', seen, {
      maxDeliver: 3,
      handler: async (batch, partition) => {
        seen.push(
          ...batch.map((d) => ({ seq: d.seq, partition, deliveryCount: d.deliveryCount, consumer: 'a' })),
        );
        await sleep(0);
        throw new RetryBatch('store down');
      },
    });
    await waitFor(() => seen.length >= 3, 10_000, 'three deliveries');
    await sleep(2500); // pauses of 0.5 s (half the ack wait), and the ack wait
    expect(seen.map((s) => s.deliveryCount)).toEqual([1, 2, 3]);
  });

  it('pauses longer after each failure in a row, and stops without waiting out the pause', async () => {
    const seen: Seen[] = [];
    await publishMany(t.transport, 1, 1);
    const handle = await recorder(t.transport, 'a', seen, {
      ackWaitMs: 60_000,
      handler: async (batch) => {
        seen.push(
          ...batch.map((d) => ({
            seq: d.seq,
            partition: d.partition,
            deliveryCount: d.deliveryCount,
            consumer: 'a',
          })),
        );
        await sleep(0);
        throw new RetryBatch('store down');
      },
    });
    const arrivals: number[] = [];
    await waitFor(
      () => {
        if (seen.length > arrivals.length) arrivals.push(Date.now());
        return seen.length >= 3;
      },
      10_000,
      'three deliveries',
    );
    // pauses of 1 s and then 2 s (of at most half the ack wait)
    expect(arrivals[2]! - arrivals[1]!).toBeGreaterThan(1500);
    const stopping = Date.now();
    await handle.stop();
    expect(Date.now() - stopping).toBeLessThan(2000); // the third pause is 4 s
    expect(seen.map((s) => s.deliveryCount)).toEqual([1, 2, 3]);
  });

  it('spreads partitions over the live consumers of a group and hands them over on stop', async () => {
    const seen: Seen[] = [];
    const events: string[] = [];
    const a = await recorder(t.transport, 'a', seen);
    await waitFor(() => a.owned().length === TEST_PARTITIONS, 10_000, 'a to own every partition');
    const b = await recorder(await t.peer(), 'b', seen, {
      handler: async (batch, partition) => {
        events.push(`batch ${partition}`);
        for (const d of batch)
          seen.push({ seq: d.seq, partition, deliveryCount: d.deliveryCount, consumer: 'b' });
        await Promise.all(batch.map((d) => d.ack()));
      },
      onAssignment: async (_owned, gained) => {
        await sleep(50);
        events.push(...gained.map((p) => `gained ${p}`));
      },
    });
    const half = TEST_PARTITIONS / 2;
    await waitFor(() => a.owned().length === half && b.owned().length === half, 10_000, 'an even split');
    expect(new Set([...a.owned(), ...b.owned()]).size).toBe(TEST_PARTITIONS);
    await publishMany(t.transport, 60);
    await waitFor(() => distinctSeqs(seen).size === 60, 10_000, 'every message');
    for (const s of seen) expect((s.consumer === 'a' ? a : b).owned()).toContain(s.partition);
    for (const p of b.owned())
      expect(events.indexOf(`gained ${p}`)).toBeLessThan(events.indexOf(`batch ${p}`));
    await b.stop();
    await waitFor(() => a.owned().length === TEST_PARTITIONS, 8_000, 'a to take every partition back');
    expect(b.owned()).toEqual([]);
  }, 40_000);

  it('takes over the partitions and unacked messages of a consumer that dies', async () => {
    const doomed = await t.doomedConsumer({ group: 'workers', ackWaitMs: 1500, maxDeliver: 5 });
    await waitFor(() => doomed.owned().length === TEST_PARTITIONS, 10_000, 'the doomed consumer to own all');
    const seen: Seen[] = [];
    const survivor = await recorder(await t.peer(), 'survivor', seen, { ackWaitMs: 1500 });
    const half = TEST_PARTITIONS / 2;
    await waitFor(
      () => survivor.owned().length === half && doomed.owned().length === half,
      10_000,
      'a split',
    );
    const seqs = await publishMany(t.transport, 80);
    await waitFor(() => doomed.received.length > 0 && seen.length > 0, 10_000, 'both to receive');
    await doomed.kill();
    const killedAt = Date.now();
    await waitFor(() => survivor.owned().length === TEST_PARTITIONS, 10_000, 'the takeover');
    const takeoverMs = Date.now() - killedAt;
    await waitFor(
      () => distinctSeqs(seen).size === seqs.length,
      15_000,
      'every message acked by the survivor',
    );
    const redelivered = seen.filter((s) => doomed.received.includes(s.seq));
    expect(distinctSeqs(redelivered)).toEqual(new Set(doomed.received));
    expect(redelivered.every((s) => s.deliveryCount >= 2)).toBe(true);
    expectOrderPerPartition(seen);
    expect(takeoverMs).toBeLessThan(8_000);
  }, 60_000);

  it('subscribe hands new messages to live listeners until unsubscribed', async () => {
    await t.transport.publish('decisions', { old: true }, { key: 'k' });
    const got: Delivery[] = [];
    const unsubscribe = await t.transport.subscribe('decisions', (d) => got.push(d));
    const { seq } = await t.transport.publish('decisions', { n: 1 }, { key: 'k' });
    const second = await t.transport.publish('decisions', { n: 2 }, { key: 'j' });
    await waitFor(() => got.length === 2, 5_000, 'two live messages');
    expect(got.map((d) => d.seq)).toEqual([seq, second.seq]);
    unsubscribe();
    await t.transport.publish('decisions', { n: 3 }, { key: 'k' });
    await sleep(300);
    expect(got).toHaveLength(2);
  });

  it('reads from a sequence with a limit and deletes single messages', async () => {
    const seqs = await publishMany(t.transport, 5);
    const page = await t.transport.read('transactions', { fromSeq: seqs[1], limit: 2 });
    expect(page.map((d) => d.seq)).toEqual(seqs.slice(1, 3));
    await t.transport.delete('transactions', seqs[2]!);
    const rest = await t.transport.read('transactions', { limit: 10 });
    expect(rest.map((d) => d.seq)).toEqual(seqs.filter((s) => s !== seqs[2]));
    await expect(t.transport.delete('transactions', seqs[2]!)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await t.transport.read('dlq', { limit: 10 })).toEqual([]);
  });

  it("counts stored messages and a group's lag until it has acked them", async () => {
    await publishMany(t.transport, 12);
    expect(await t.transport.stats('transactions')).toEqual({ messages: 12 });
    expect(await t.transport.stats('transactions', 'workers')).toEqual({ messages: 12, lag: 12 });
    expect(await t.transport.stats('dlq', 'workers')).toEqual({ messages: 0, lag: 0 });
    const seen: Seen[] = [];
    await recorder(t.transport, 'a', seen);
    await waitFor(() => distinctSeqs(seen).size === 12, 10_000, 'every message');
    await waitFor(
      async () => (await t.transport.stats('transactions', 'workers')).lag === 0,
      10_000,
      'the acks to land',
    );
    expect(await t.transport.stats('transactions', 'workers')).toEqual({ messages: 12, lag: 0 });
  });

  it('partitions keys with FNV-1a modulo the partition count', () => {
    for (const key of ['acc-1', 'acc-2', '', 'ñandú'])
      expect(t.transport.partitionOf(key)).toBe(partitionOf(key, TEST_PARTITIONS));
  });

  it.runIf(kind === 'jetstream')(
    'hands a failed batch out again before later messages, though its return never reached the server',
    async () => {
      const proxy = await natsProxy(TEST_NATS_URL);
      const consumer = await t.peer(proxy.url);
      try {
        const seen: Seen[] = [];
        const published = await publishMany(t.transport, 3, 1);
        const failed: number[] = [];
        await recorder(consumer, 'a', seen, {
          ackWaitMs: 20_000, // the batch would come back from the server only after this
          handler: async (batch, partition) => {
            seen.push(
              ...batch.map((d) => ({ seq: d.seq, partition, deliveryCount: d.deliveryCount, consumer: 'a' })),
            );
            if (failed.length > 0) return void (await Promise.all(batch.map((d) => d.ack())));
            failed.push(...batch.map((d) => d.seq));
            proxy.drop(true); // as when the server dies: what the client sends now is lost
            throw new RetryBatch('decisions not published');
          },
        });
        await waitFor(() => failed.length > 0, 10_000, 'the first batch');
        await sleep(100);
        proxy.drop(false);
        // The server has room for more than the failed batch: it sends these at once.
        for (let i = 0; i < 5; i++)
          published.push(
            (await t.transport.publish('transactions', { i }, { key: 'acc-0', msgId: `after-${i}` })).seq,
          );
        await waitFor(() => distinctSeqs(seen).size === 8, 10_000, 'every message');
        const again = seen.slice(failed.length, 2 * failed.length).map((s) => [s.seq, s.deliveryCount]);
        expect(again).toEqual(failed.map((seq) => [seq, 2]));
        expectOrderPerPartition(seen);
      } finally {
        proxy.drop(false);
        await consumer.close(); // before its connection is cut
        await proxy.close();
      }
    },
    30_000,
  );

  it.runIf(kind === 'jetstream')(
    'hands out messages the server sent that never arrived before the ones it sends after',
    async () => {
      const proxy = await natsProxy(TEST_NATS_URL);
      const consumer = await t.peer(proxy.url);
      const publish = async (name: string) =>
        (await t.transport.publish('transactions', { name }, { key: 'acc-0', msgId: name })).seq;
      try {
        const seen: Seen[] = [];
        const published = await publishMany(t.transport, 3, 1);
        await recorder(consumer, 'a', seen, { ackWaitMs: 3000 });
        await waitFor(() => seen.length === 3, 10_000, 'the first messages');
        await sleep(200); // their acks land
        proxy.hold();
        for (const name of ['lost-0', 'lost-1', 'lost-2']) published.push(await publish(name));
        await sleep(300); // the server sends them to the consumer: they are held back
        proxy.cut();
        for (const name of ['after-0', 'after-1', 'after-2']) published.push(await publish(name));
        await waitFor(() => distinctSeqs(seen).size === 9, 15_000, 'every message');
        expect([...distinctSeqs(seen)]).toEqual(published);
        const lost = seen.slice(3, 6).map((s) => [s.seq, s.deliveryCount]);
        expect(lost).toEqual(published.slice(3, 6).map((seq) => [seq, 2]));
      } finally {
        await consumer.close();
        await proxy.close();
      }
    },
    30_000,
  );

  it.runIf(kind === 'jetstream')(
    'refuses to open the streams of a prefix with another partition count',
    async () => {
      const { prefix } = (t.transport as JetStreamTransport).names;
      const other = createJetStreamTransport({
        servers: TEST_NATS_URL,
        prefix,
        partitions: TEST_PARTITIONS * 2,
      });
      await expect(other).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        details: {
          field: 'CENTINELA_PARTITIONS',
          partitions: TEST_PARTITIONS * 2,
          expected: TEST_PARTITIONS,
        },
      });
    },
  );

  it.runIf(kind === 'jetstream' && restartable)(
    'resumes publishing and consuming when the NATS server restarts mid-stream',
    async () => {
      const seen: Seen[] = [];
      await recorder(t.transport, 'a', seen);
      const publishing = publishMany(t.transport, 300);
      await waitFor(() => seen.length >= 100, 10_000, 'a third of the stream');
      try {
        await restartNats(500);
      } finally {
        await ensureNatsRunning();
      }
      const seqs = await publishing;
      expect(new Set(seqs).size).toBe(300);
      await waitFor(() => distinctSeqs(seen).size === 300, 30_000, 'every message after the restart');
    },
    60_000,
  );
});
