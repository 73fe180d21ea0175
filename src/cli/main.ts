#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { AppError } from '../errors.js';
import { storeUnavailableError } from '../store/store-errors.js';
import { refuseFlagsAsValues } from './common.js';
import { fail, type Failure } from './output.js';

const json = process.argv.includes('--json');

const program = new Command()
  .name('centinela')
  .description('Centinela fraud prevention: scoring service, rules, keys and tools.')
  // Usage errors (an unknown flag, a missing value) are thrown to the handler below, which
  // reports them like any failure: with --json as one JSON document on stdout.
  .exitOverride()
  .configureOutput({ outputError: (text, write) => (json ? undefined : write(text)) })
  .showHelpAfterError(!json)
  .hook('preAction', (_program, action) => refuseFlagsAsValues(action));

/** Adds a command (and its subcommands) to the program. */
type Register = (program: Command) => void;

/**
 * Each command's module, in the order help lists them, loaded only when that command runs
 * (all of them for the help that lists them, or a name that is none of them): loading every
 * command loaded DuckDB, the face engine's tfjs and Fastify for `keys list`.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  serve: async () => (await import('./serve.command.js')).serveCommand,
  worker: async () => (await import('./worker.command.js')).workerCommand,
  dlq: async () => (await import('./dlq.command.js')).dlqCommand,
  keys: async () => (await import('./keys.command.js')).keysCommand,
  migrate: async () => (await import('./migrate.command.js')).migrateCommand,
  rules: async () => (await import('./rules.command.js')).rulesCommand,
  replay: async () => (await import('./replay.command.js')).replayCommand,
  train: async () => (await import('./train.command.js')).trainCommand,
  evaluate: async () => (await import('./evaluate.command.js')).evaluateCommand,
  models: async () => (await import('./models.command.js')).modelsCommand,
  simulate: async () => (await import('./simulate.command.js')).simulateCommand,
  structuring: async () => (await import('./structuring.command.js')).structuringCommand,
  face: async () => (await import('./face.command.js')).faceCommand,
  'simulate-ledger': async () => (await import('./simulate-ledger.command.js')).simulateLedgerCommand,
};

/** The command `args` run (`help NAME` shows NAME's help), if they name one. */
function commandNamed(args: readonly string[]): string | undefined {
  const name = args[0] === 'help' ? args[1] : args[0];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? name : undefined;
}

const named = commandNamed(process.argv.slice(2));

// `centinela … | head`: a reader that stops early is no failure of a command that prints its
// result (the write's EPIPE was an uncaught error, printed with its stack). `serve` and
// `worker` log to stdout while they work: for them a closed stdout stays a failure, so that
// a supervisor restarts them, rather than a quiet exit 0 mid-work.
if (named !== 'serve' && named !== 'worker')
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
for (const name of named === undefined ? Object.keys(COMMANDS) : [named]) {
  const register = await COMMANDS[name]?.();
  register?.(program);
}

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
  if (error instanceof AppError) return { code: error.code, message: error.message, details: error.details };
  const unavailable = storeUnavailableError(error);
  // The operator running the command is told why (the API says only "retry" to its clients).
  if (unavailable) return { code: unavailable.code, message: `${unavailable.message} (${String(error)})` };
  const message = error instanceof Error ? error.message : String(error);
  if (process.env.CENTINELA_DEBUG && error instanceof Error)
    return { code: 'INTERNAL', message: error.stack ?? message };
  return { code: 'INTERNAL', message: `${message} (CENTINELA_DEBUG=1 shows where)` };
}
