#!/usr/bin/env node
import { Command } from 'commander';
import { AppError } from '../errors.js';
import { storeBusyError } from '../store/store-errors.js';
import { dlqCommand } from './dlq.command.js';
import { evaluateCommand } from './evaluate.command.js';
import { faceCommand } from './face.command.js';
import { keysCommand } from './keys.command.js';
import { migrateCommand } from './migrate.command.js';
import { modelsCommand } from './models.command.js';
import { fail } from './output.js';
import { replayCommand } from './replay.command.js';
import { rulesCommand } from './rules.command.js';
import { serveCommand } from './serve.command.js';
import { simulateLedgerCommand } from './simulate-ledger.command.js';
import { simulateCommand } from './simulate.command.js';
import { structuringCommand } from './structuring.command.js';
import { trainCommand } from './train.command.js';
import { workerCommand } from './worker.command.js';

const program = new Command()
  .name('centinela')
  .description('Centinela fraud prevention: scoring service, rules, keys and tools.')
  .showHelpAfterError();

serveCommand(program);
workerCommand(program);
dlqCommand(program);
keysCommand(program);
migrateCommand(program);
rulesCommand(program);
replayCommand(program);
trainCommand(program);
evaluateCommand(program);
modelsCommand(program);
simulateCommand(program);
structuringCommand(program);
faceCommand(program);
simulateLedgerCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const json = process.argv.includes('--json');
  const known = error instanceof AppError ? error : storeBusyError(error);
  if (known) {
    const details = known.details === undefined ? '' : `\n${JSON.stringify(known.details, null, 2)}`;
    fail(json ? known.message : `${known.code}: ${known.message}${details}`, json);
  } else {
    fail(error instanceof Error ? (error.stack ?? error.message) : String(error), json);
  }
});
