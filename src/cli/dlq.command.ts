import type { Command } from 'commander';
import { AppError } from '../errors.js';
import type { DeadLetter, TransactionMessage } from '../transactions/transaction.worker.js';
import { createTransport } from '../transport/index.js';
import type { Delivery, Transport } from '../transport/transport.js';
import { configFrom, wholeNumberOf } from './common.js';
import { formatTable, printResult } from './output.js';

interface DlqFlags {
  nats?: string;
  json?: boolean;
  limit: string;
}

/** `centinela dlq list|replay`: dead letters of the distributed pipeline. */
export function dlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('dead-lettered transactions (distributed mode)');

  dlq
    .command('list')
    .description('list dead letters: payload, error, stage, attempts')
    .option('--nats <url>', 'NATS server (default: CENTINELA_NATS_URL)')
    .option('--limit <n>', 'most letters to show', '100')
    .option('--json', 'print one JSON document')
    .action(async (flags: DlqFlags) => {
      const limit = wholeNumberOf(flags.limit, '--limit', 1); // before connecting
      await withTransport(flags, async (transport) => {
        const letters = (await transport.read('dlq', { limit })).map(letterOf);
        printResult(Boolean(flags.json), letters, () =>
          formatTable(letters, ['id', 'stage', 'attempts', 'error', 'failed_at', 'payload']),
        );
      });
    });

  dlq
    .command('replay')
    .description('publish dead letters to the transactions stream again (after a fix) and remove them')
    .option('--id <id>', 'only this letter (its id from `dlq list`)')
    .option('--nats <url>', 'NATS server (default: CENTINELA_NATS_URL)')
    .option('--limit <n>', 'most letters to replay', '10000')
    .option('--json', 'print one JSON document')
    .action(async (flags: DlqFlags & { id?: string }) => {
      const limit = wholeNumberOf(flags.limit, '--limit', 1); // before connecting
      const id = flags.id === undefined ? undefined : wholeNumberOf(flags.id, '--id', 1);
      await withTransport(flags, async (transport) => {
        const all = await transport.read('dlq', { limit });
        const chosen = id === undefined ? all : all.filter((d) => d.seq === id);
        if (flags.id !== undefined && chosen.length === 0)
          throw new AppError('NOT_FOUND', `No dead letter ${flags.id}.`);
        for (const delivery of chosen) await replay(transport, delivery);
        printResult(
          Boolean(flags.json),
          { replayed: chosen.length },
          () => `Replayed ${chosen.length} dead letter(s).`,
        );
      });
    });
}

function letterOf(delivery: Delivery) {
  const letter = delivery.json<DeadLetter>();
  return { id: delivery.seq, ...letter };
}

async function replay(transport: Transport, delivery: Delivery): Promise<void> {
  const letter = delivery.json<DeadLetter>();
  const key = accountOf(letter.payload) ?? String(letter.partition);
  await transport.publish('transactions', Buffer.from(letter.payload, 'utf8'), { key });
  await transport.delete('dlq', delivery.seq);
}

function accountOf(payload: string): string | undefined {
  try {
    const message = JSON.parse(payload) as TransactionMessage;
    const id = message.transaction.account_id ?? message.transaction.user_id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  } catch {
    return undefined;
  }
}

async function withTransport(
  flags: { nats?: string },
  run: (transport: Transport) => Promise<void>,
): Promise<void> {
  const natsUrl = flags.nats ?? configFrom({}).natsUrl;
  if (!natsUrl)
    throw new AppError(
      'CONFIG_INVALID',
      'The dead-letter stream lives in NATS: --nats or CENTINELA_NATS_URL.',
    );
  const config = configFrom({});
  const transport = await createTransport({
    natsUrl,
    partitions: config.partitions,
    prefix: config.natsPrefix,
  });
  try {
    await run(transport);
  } finally {
    await transport.close();
  }
}
