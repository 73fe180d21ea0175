import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { sleep } from '../delivery.js';
import { InProcessTransport } from '../in-process/in-process.transport.js';
import { createJetStreamTransport, type JetStreamTransport } from '../nats/jetstream.transport.js';
import type { ConsumeOptions, Transport, TransportLogger } from '../transport.js';

/** NATS server the integration tests use (streams get a unique prefix per test). */
export const TEST_NATS_URL = process.env.CENTINELA_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const TEST_PARTITIONS = 8;
/** Short leases so that takeovers are quick in tests. */
export const TEST_LEASE_TTL_MS = 2_400;

export type TransportKind = 'in-process' | 'jetstream';

const quiet: TransportLogger = { warn: () => undefined, error: () => undefined };

async function natsReachable(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 2000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The transports to run the conformance suite against: in-process always; JetStream when
 * NATS answers. Under CI=true an unreachable NATS is an error, never a skip.
 */
export async function availableTransports(): Promise<TransportKind[]> {
  if (await natsReachable(TEST_NATS_URL)) return ['in-process', 'jetstream'];
  if (process.env.CI === 'true') throw new Error(`NATS is not reachable at ${TEST_NATS_URL} (CI=true)`);
  console.warn(`NATS not reachable at ${TEST_NATS_URL}: JetStream transport tests skipped`);
  return ['in-process'];
}

/** A consumer that receives and never acks, and can be killed as if its process died. */
export interface DoomedConsumer {
  owned(): readonly number[];
  readonly received: number[];
  kill(): Promise<void>;
}

/** A transport for one test, and what the suite needs around it. */
export interface TestTransport {
  readonly kind: TransportKind;
  readonly transport: Transport;
  /**
   * A second client of the same streams (JetStream: another connection, to `servers` when
   * given, e.g. a {@link natsProxy}; in-process: the same object).
   */
  peer(servers?: string): Promise<Transport>;
  doomedConsumer(
    options: Pick<ConsumeOptions, 'group' | 'ackWaitMs' | 'maxDeliver'>,
  ): Promise<DoomedConsumer>;
  destroy(): Promise<void>;
}

/** A fresh transport of `kind`; JetStream streams and lease bucket get a prefix of their own. */
export async function createTestTransport(kind: TransportKind): Promise<TestTransport> {
  if (kind === 'in-process') return inProcessFixture();
  return jetStreamFixture(`t${randomBytes(5).toString('hex')}`);
}

function inProcessFixture(): TestTransport {
  const transport = new InProcessTransport({ partitions: TEST_PARTITIONS, logger: quiet });
  return {
    kind: 'in-process',
    transport,
    peer: () => Promise.resolve(transport),
    doomedConsumer: async (options) => {
      const received: number[] = [];
      const handle = await transport.consume('transactions', {
        ...options,
        maxBatch: 10,
        handler: (batch) => Promise.resolve(void received.push(...batch.map((d) => d.seq))),
      });
      return { owned: () => handle.owned(), received, kill: () => Promise.resolve(handle.kill()) };
    },
    destroy: () => transport.close(),
  };
}

async function jetStreamFixture(prefix: string): Promise<TestTransport> {
  const options = {
    servers: TEST_NATS_URL,
    prefix,
    partitions: TEST_PARTITIONS,
    leaseTtlMs: TEST_LEASE_TTL_MS,
  };
  const open = (servers = TEST_NATS_URL) => createJetStreamTransport({ ...options, servers, logger: quiet });
  const transport = await open();
  const peers: JetStreamTransport[] = [];
  const children: (() => Promise<void>)[] = [];
  return {
    kind: 'jetstream',
    transport,
    peer: async (servers) => {
      const peer = await open(servers);
      peers.push(peer);
      return peer;
    },
    doomedConsumer: async (consume) => {
      const child = await spawnDoomed({ ...options, ...consume });
      children.push(() => child.kill());
      return child;
    },
    destroy: async () => {
      await Promise.all(children.map((kill) => kill()));
      await Promise.all(peers.map((p) => p.close()));
      await transport.destroy();
    },
  };
}

const CHILD = fileURLToPath(new URL('./doomed-consumer.fixture.ts', import.meta.url));

async function spawnDoomed(args: object): Promise<DoomedConsumer> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let owned: readonly number[] = [];
  let ready = false;
  const received: number[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const event = JSON.parse(line) as { owned?: number[]; got?: number[]; ready?: boolean };
    if (event.owned) owned = event.owned;
    if (event.got) received.push(...event.got);
    if (event.ready) ready = true;
  });
  for (let waited = 0; !ready; waited += 50) {
    if (waited > 20_000 || child.exitCode !== null) throw new Error('the consumer process did not start');
    await sleep(50);
  }
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { owned: () => owned, received, kill };
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
