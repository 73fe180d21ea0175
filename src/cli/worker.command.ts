import type { Command } from 'commander';
import { AppError } from '../errors.js';
import { deciderOptions, openServices, refuseUnusableRules, watchActiveVersions } from '../services.js';
import { BatchDecider } from '../transactions/batch-decider.js';
import { TransactionWorker } from '../transactions/transaction.worker.js';
import { natsServers } from '../transport/index.js';
import { configFrom, type StoreFlags } from './common.js';
import { openCheckedTransport } from '../transactions/partition-check.js';
import { stopOnSignals } from './signals.js';

/** `centinela worker`: decides the transactions of the partitions it owns, from NATS JetStream. */
export function workerCommand(program: Command): void {
  program
    .command('worker')
    .description('consume the transactions stream (distributed mode); run as many as needed')
    .option('--db <url>', 'postgres:// URL (default: CENTINELA_DATABASE_URL)')
    .option('--nats <url>', 'NATS server (default: CENTINELA_NATS_URL)')
    .action(async (flags: StoreFlags & { nats?: string }) => {
      const config = configFrom(flags);
      const natsUrl = flags.nats ?? config.natsUrl;
      if (!natsUrl)
        throw new AppError(
          'CONFIG_INVALID',
          'centinela worker needs a NATS server: --nats or CENTINELA_NATS_URL.',
        );
      const services = await openServices(config);
      await refuseUnusableRules(services.store, services.rules);
      watchActiveVersions(services, config.rulesRefreshMs);
      const transport = await openCheckedTransport(services.store.db, {
        natsUrl,
        partitions: config.partitions,
        prefix: config.natsPrefix,
      });
      const worker = new TransactionWorker({
        transport,
        decider: new BatchDecider(deciderOptions(config, services.store, services.rules, services.models)),
        defaultCurrency: config.defaultCurrency,
        maxBatch: config.workerBatch,
        ackWaitMs: config.workerAckWaitMs,
        log: (message, error) => process.stdout.write(`worker ${process.pid}: ${message}${causeOf(error)}\n`),
      });
      await worker.start();
      const servers = natsServers(natsUrl).servers.join(', ');
      process.stdout.write(`worker ${process.pid}: consuming ${servers}, store ${services.store.location}\n`);
      stopOnSignals(async () => {
        await worker.stop();
        services.rules.stop();
        services.models.stop();
        await transport.close();
        await services.store.close();
      });
    });
}

/** `error`'s underlying cause, as ` (cause: …)`, when it has one (a PostgreSQL deadlock under STORE_UNAVAILABLE); '' otherwise. */
export function causeOf(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause === undefined) return '';
  return ` (cause: ${cause instanceof Error ? cause.message : JSON.stringify(cause)})`;
}
