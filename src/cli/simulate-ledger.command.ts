import type { Command } from 'commander';
import { generateLedger } from '../structuring/ledger.generator.js';
import { checkTableFile, flagError, seedOf, wholeNumberOf } from './common.js';
import { printResult } from './output.js';

/** Bounds of the generator's own loops (ten million users, ten years). */
const MAX_USERS = 10_000_000;
const MAX_DAYS = 3660;

/** `--start`: a calendar date (YYYY-MM-DD) that exists. */
function startOf(value: string): string {
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value)
    throw flagError('--start', 'format', `--start must be a date such as 2025-01-01, not '${value}'.`);
  return value;
}

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
        const options = {
          out: flags.out,
          users: wholeNumberOf(flags.users, '--users', 1, MAX_USERS),
          days: wholeNumberOf(flags.days, '--days', 1, MAX_DAYS),
          seed: seedOf(flags.seed),
          start: startOf(flags.start),
        };
        checkTableFile(flags.out, '--out');
        const summary = await generateLedger(options);
        printResult(
          Boolean(flags.json),
          { out: flags.out, ...summary },
          () =>
            `Wrote ${summary.rows} transactions of ${summary.users} users over ${summary.days} days to ${flags.out} (${summary.structuring_rows} in ${summary.episodes} split-payment episodes).`,
        );
      },
    );
}
