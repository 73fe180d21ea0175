/**
 * A consumer process for the crash test: joins a group, prints its partitions and every
 * message it receives as JSON lines, never acks, and waits to be SIGKILLed.
 * Argument: JSON `{ servers, prefix, partitions, leaseTtlMs, group, ackWaitMs, maxDeliver }`.
 */
import { createJetStreamTransport } from '../nats/jetstream.transport.js';

interface Args {
  readonly servers: string;
  readonly prefix: string;
  readonly partitions: number;
  readonly leaseTtlMs: number;
  readonly group: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
const transport = await createJetStreamTransport({ ...args, logger: { warn: () => {}, error: () => {} } });
await transport.consume('transactions', {
  group: args.group,
  maxBatch: 10,
  ackWaitMs: args.ackWaitMs,
  maxDeliver: args.maxDeliver,
  handler: (batch) => {
    print({ got: batch.map((d) => d.seq) });
    return Promise.resolve();
  },
  onAssignment: (owned) => {
    print({ owned });
    return Promise.resolve();
  },
});
print({ ready: true });
