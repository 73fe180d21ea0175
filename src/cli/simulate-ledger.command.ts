import type { Command } from 'commander';
import { generateLedger } from '../structuring/ledger.generator.js';
import { printResult } from './output.js';

/** `centinela simulate-ledger`: synthetic transaction logs with labelled split payments. */
export function simulateLedgerCommand(program: Command): void {
  program
    .command('simulate-ledger')
    .description('write synthetic transaction logs with labelled split-payment episodes and look-alikes')
    .requiredOption('--out <file>', 'output file: .parquet or .csv')
    .option('--users <n>', 'number of users', '1000')
    .option('--days <n>', 'number of days', '30')
    .option('--seed <n>', 'random seed', '1')
    .option('--start <date>', 'first day (ISO date)', '2025-01-01')
    .option('--json', 'print one JSON document')
    .action(
      async (flags: {
        out: string;
        users: string;
        days: string;
        seed: string;
        start: string;
        json?: boolean;
      }) => {
        const summary = await generateLedger({
          out: flags.out,
          users: Number(flags.users),
          days: Number(flags.days),
          seed: Number(flags.seed),
          start: flags.start,
        });
        printResult(
          Boolean(flags.json),
          { out: flags.out, ...summary },
          () =>
            `Wrote ${summary.rows} transactions of ${summary.users} users over ${summary.days} days to ${flags.out} (${summary.structuring_rows} in ${summary.episodes} split-payment episodes).`,
        );
      },
    );
}
