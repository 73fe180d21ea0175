import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { AppError, ValidationError } from '../errors.js';
import { openServices } from '../services.js';
import { missingSqliteFile } from '../store/database.js';
import { isDecimalText } from '../shared/decimal-text.js';
import { textLength } from '../shared/text-length.js';
import { readInputFile } from '../shared/read-input.js';
import { isUnstorable } from '../shared/unstorable-text.js';
import { isCsvOrParquet } from '../structuring/table-files.js';

export interface StoreFlags {
  readonly db?: string;
  readonly json?: boolean;
}

/** Adds `--db PATH` and `--json` to a command. */
export function withStoreFlags(command: Command): Command {
  return command
    .option(
      '--db <path>',
      'SQLite file or postgres:// URL (default: CENTINELA_DATABASE_URL or ./data/centinela.db)',
    )
    .option('--json', 'print one JSON document');
}

/** Flags every command has, outside its own option list. */
const STANDARD_FLAGS = ['-h', '--help', '-V', '--version'];

/**
 * Fails when a flag was taken as another flag's value: `--db --json` made `--json` the path
 * (and left the output as text), `--db --help` created a database named `--help`. Looks at
 * the words as typed (`argv`), so `--movement=--json` still gives that text on purpose. Run
 * before every command's action.
 */
export function refuseFlagsAsValues(command: Command, argv: readonly string[] = process.argv): void {
  const takesValue = (word: string) =>
    command.options.some((o) => (o.required || o.optional) && (o.long === word || o.short === word));
  const isFlag = (word: string) =>
    STANDARD_FLAGS.includes(word) || command.options.some((o) => o.long === word || o.short === word);
  for (let i = 0; i + 1 < argv.length; i++) {
    const [name, value] = [argv[i] ?? '', argv[i + 1] ?? ''];
    if (!takesValue(name) || !isFlag(value)) continue;
    const message = `${name} needs a value, not the flag ${value}.`;
    throw flagError(name, 'required', message);
  }
}

/** A 400-style error (VALIDATION_FAILED) naming `flag` in its details, as the API names a field. */
export function flagError(flag: string, code: string, message: string): ValidationError {
  return new ValidationError([{ field: flag, code, message }], message);
}

/** A whole-number flag from `min` to `max`; otherwise a 400-style error naming the flag. */
export function wholeNumberOf(
  value: string,
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const bound = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    const message = `${flag} must be a whole number ${bound}, not '${value}'.`;
    throw flagError(flag, 'range', message);
  }
  return n;
}

/** A number flag from `min` to `max` (decimals allowed); otherwise a 400-style error naming the flag. */
export function numberOf(value: string, flag: string, min: number, max: number): number {
  const n = isDecimalText(value) ? Number(value) : NaN;
  if (!(n >= min && n <= max)) {
    const message = `${flag} must be a number from ${min} to ${max}, not '${value}'.`;
    throw flagError(flag, 'range', message);
  }
  return n;
}

/**
 * A text flag the API would take in the same field: `minLength` to `maxLength` characters
 * (counted as the API's schemas count them, by code point: an emoji is one), storable.
 */
export function textOf(value: string, flag: string, maxLength: number, minLength = 1): string {
  const length = textLength(value);
  const problem =
    length < minLength || length > maxLength
      ? `${flag} must be ${minLength} to ${maxLength} characters`
      : isUnstorable(value)
        ? `${flag} cannot hold a NUL character or half a surrogate pair`
        : undefined;
  if (problem === undefined) return value;
  throw flagError(flag, 'format', `${problem}.`);
}

/** A `--seed` flag: a whole number that fits 32 bits. */
export function seedOf(value: string): number {
  return wholeNumberOf(value, '--seed', 0, 2 ** 32 - 1);
}

/** An output table (`--export`, `simulate-ledger --out`): a CSV or Parquet name, writable now. */
export function checkTableFile(path: string, flag: string): void {
  if (!isCsvOrParquet(path)) {
    const message = `${flag} ${path} must end in .parquet, .pq or .csv.`;
    throw flagError(flag, 'format', message);
  }
  checkWritableFile(path, flag);
}

/**
 * Fails at once, naming the flag, when `path` cannot be written (a directory, a missing
 * folder, no permission), so a long run does not fail, or lose its output, at its end.
 * Nothing is left behind: a file this check creates is removed again.
 */
export function checkWritableFile(path: string, flag: string): void {
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, 'a'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const message = `${flag} ${path} cannot be written (${reason}).`;
    throw flagError(flag, 'not_writable', message);
  }
  if (!existed) rmSync(path, { force: true });
}

/** Configuration from the environment with the command's flags on top. */
export function configFrom(flags: StoreFlags & { port?: string; host?: string }): Config {
  return loadConfig(process.env, {
    ...(flags.db === undefined ? {} : { databaseUrl: flags.db }),
    ...(flags.port === undefined ? {} : { port: wholeNumberOf(flags.port, '--port', 0, 65_535) }),
    ...(flags.host === undefined ? {} : { host: flags.host }),
  });
}

export type Services = Awaited<ReturnType<typeof openServices>>;

/** Opens the store (migrating it), runs `run`, and always closes the store. */
export async function withServices(
  flags: StoreFlags,
  run: (services: Services) => Promise<void>,
): Promise<void> {
  const config = configFrom(flags);
  const created = missingSqliteFile(config.databaseUrl);
  const services = await openServices(config);
  // On stderr, so that --json output stays one document.
  if (created) {
    const hint = flags.db === undefined ? '' : ' (a mistyped --db?)';
    console.error(`centinela: no store was at ${created}; a new one was created there${hint}.`);
  }
  try {
    await run(services);
  } finally {
    await services.store.close();
  }
}

/** The byte order mark some editors put first in a UTF-8 file (the API accepts a body with one too). */
const BOM = '\ufeff';

/**
 * Reads a rule set JSON file (`rules apply`, `replay --rules`): a missing one is INPUT_NOT_FOUND
 * ({@link readInputFile}), one that is not JSON RULESET_INVALID. A leading BOM is skipped.
 */
export async function readRuleSetFile(file: string): Promise<unknown> {
  const text = (await readInputFile(file)).toString('utf8');
  try {
    return JSON.parse(text.startsWith(BOM) ? text.slice(BOM.length) : text) as unknown;
  } catch (error) {
    throw new AppError('RULESET_INVALID', `Cannot read ${file} as JSON: ${(error as Error).message}`);
  }
}
