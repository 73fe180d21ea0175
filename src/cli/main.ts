#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { AppError } from '../errors.js';
import { storeUnavailableError } from '../store/store-errors.js';
import { refuseFlagsAsValues } from './common.js';
import { dlqCommand } from './dlq.command.js';
import { evaluateCommand } from './evaluate.command.js';
import { faceCommand } from './face.command.js';
import { keysCommand } from './keys.command.js';
import { migrateCommand } from './migrate.command.js';
import { modelsCommand } from './models.command.js';
import { fail, type Failure } from './output.js';
import { replayCommand } from './replay.command.js';
import { rulesCommand } from './rules.command.js';
import { serveCommand } from './serve.command.js';
import { simulateLedgerCommand } from './simulate-ledger.command.js';
import { simulateCommand } from './simulate.command.js';
import { structuringCommand } from './structuring.command.js';
import { trainCommand } from './train.command.js';
import { workerCommand } from './worker.command.js';

const json = process.argv.includes('--json');

// `centinela … | head`: a reader that stops early is no failure of the command (the write's
// EPIPE was an uncaught error, printed with its stack).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

const program = new Command()
  .name('centinela')
  .description('Centinela fraud prevention: scoring service, rules, keys and tools.')
  // Usage errors (an unknown flag, a missing value) are thrown to the handler below, which
  // reports them like any failure: with --json as one JSON document on stdout.
  .exitOverride()
  .configureOutput({ outputError: (text, write) => (json ? undefined : write(text)) })
  .showHelpAfterError(!json)
  .hook('preAction', (_program, action) => refuseFlagsAsValues(action));

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
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return; // --help, --version
    if (!json) {
      process.exitCode = error.exitCode; // Commander has already said why, with the usage
      return;
    }
  }
  fail(failureOf(error), json);
  // A command that failed has nothing left to do: a server that could not listen, or a
  // worker that could not connect, must not keep the process alive on its open handles.
  setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
});

/** Time for the failure's output to be written before a process kept alive is stopped. */
const EXIT_GRACE_MS = 1000;

/** The error as reported; an unexpected one by its message (its stack with CENTINELA_DEBUG=1). */
function failureOf(error: unknown): Failure {
  if (error instanceof CommanderError)
    return { code: 'VALIDATION_FAILED', message: error.message.replace(/^error: /, '') };
  const known = error instanceof AppError ? error : storeUnavailableError(error);
  if (known) return { code: known.code, message: known.message, details: known.details };
  const message = error instanceof Error ? error.message : String(error);
  if (process.env.CENTINELA_DEBUG && error instanceof Error)
    return { code: 'INTERNAL', message: error.stack ?? message };
  return { code: 'INTERNAL', message: `${message} (CENTINELA_DEBUG=1 shows where)` };
}
