/**
 * Turns DuckDB's failures to read a run's input files into `INPUT_INVALID` errors that say
 * what kind of problem the file has (not Parquet, not UTF-8, a column that cannot be cast)
 * without quoting anything read from the file: the message is stored with the run and
 * returned by the API.
 */
import { AppError } from '../errors.js';

/** What an unreadable input is: a stable `kind` and the sentence shown to people. */
interface InputProblem {
  readonly kind: string;
  readonly message: string;
  readonly column?: string;
  readonly line?: number;
  readonly expected_fields?: number;
  readonly found_fields?: number;
}

/** Quoted text and `value …` tokens in a DuckDB message: they may hold file contents. */
const QUOTED = /'[^']*'|"[^"]*"|\bvalue\s+\S+/gi;

/**
 * The first line of a DuckDB message with quoted strings and values replaced by `…`. The
 * rest (the SQL text, "Original Line: …", sniffer settings) is dropped.
 */
export function redact(message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  return first.replace(QUOTED, (match) => (/^value/i.test(match) ? 'value …' : "'…'")).slice(0, 300);
}

/** The type a failed cast wanted, in words (never read from the value it could not cast). */
function typeOf(cast: FailedCast): string {
  const text = cast.byReader
    ? (/ to '([^']*)'$/.exec(cast.sentence)?.[1] ?? '')
    : redact(cast.sentence).replace(/when casting from source column.*/i, '');
  if (/timestamp|date|epoch|interval/i.test(text)) return 'a timestamp';
  if (/double|float|decimal|int|numeric/i.test(text)) return 'a number';
  if (/bool/i.test(text)) return 'a boolean';
  return 'the expected type';
}

/** How the input was read: with the Parquet reader or not; what each cast column must be. */
export interface ReadContext {
  readonly parquet: boolean;
  /** Column name → what its values must be, in words (e.g. `a number`). */
  readonly musts?: Readonly<Record<string, string>>;
  /** Field → the input column read for it (`--map`). */
  readonly columns?: Readonly<Record<string, string>>;
}

/** DuckDB's sentence about a failed cast, the column it names, and whose cast it was. */
interface FailedCast {
  readonly sentence: string;
  readonly column?: string;
  /** The CSV reader's, of a column whose type it guessed from the first rows. */
  readonly byReader: boolean;
}

/**
 * The run's own cast says `… when casting from source column amt` on the message's first line.
 * The CSV reader's says `Error when converting column "amt". Could not convert …` on the line
 * after the one it quotes from the file (`Original Line: …`): its last such line is DuckDB's,
 * as a quoted value may span lines and look like one. Either names a column only if the run
 * reads it, so text from the file is never taken for a column name.
 */
function failedCast(message: string, context: ReadContext): FailedCast {
  const first = message.split('\n', 1)[0] ?? '';
  const own = /when casting from source column (.+?)\s*$/i.exec(first);
  const reader = own
    ? undefined
    : [...message.matchAll(/^Error when converting column "(.+)"\. (.*)$/gm)].at(-1);
  const named = own?.[1] ?? reader?.[1];
  const read = new Set([...Object.keys(context.musts ?? {}), ...Object.values(context.columns ?? {})]);
  return {
    sentence: reader?.[2] ?? first,
    byReader: reader !== undefined,
    ...(named !== undefined && read.has(named) && { column: named }),
  };
}

/**
 * A cast of one column failed: name the column and what it must be, never the value; for the
 * CSV reader's cast ({@link failedCast}), also the line.
 */
function conversionProblem(message: string, context: ReadContext): InputProblem {
  const cast = failedCast(message, context);
  const { column } = cast;
  const must = (column === undefined ? undefined : context.musts?.[column]) ?? typeOf(cast);
  const what = /out of range/i.test(redact(cast.sentence))
    ? 'a value is out of range'
    : `a value cannot be read as ${must}`;
  const line = csvErrorLine(message);
  const where = line === undefined ? '' : ` (line ${line})`;
  const said = column === undefined ? `${what}${where}` : `column ${column}: ${what}${where}`;
  return {
    kind: 'bad_value',
    message: said,
    ...(column !== undefined && { column }),
    ...(line !== undefined && { line }),
  };
}

/** The line of a CSV reader error (`CSV Error on Line: 12`), if the message gives one. */
function csvErrorLine(message: string): number | undefined {
  const line = Number(/CSV Error on Line: (\d+)/i.exec(message)?.[1]);
  return Number.isInteger(line) ? line : undefined;
}

/**
 * A CSV row DuckDB could not split as the header: with how many fields the header has, and the
 * row when it has fewer, as DuckDB says (`Expected Number of Columns: 8 Found: 9`, on the line after the
 * quoted row, so the last such line is DuckDB's own).
 */
function malformedCsv(message: string, line: number): InputProblem {
  const counts = [...message.matchAll(/^Expected Number of Columns: (\d+) Found: (\d+)$/gm)].at(-1);
  if (counts === undefined) return { kind: 'malformed_csv', line, message: `malformed CSV at line ${line}` };
  const [expected, found] = [Number(counts[1]), Number(counts[2])];
  // DuckDB stops counting one field past the header's: a long row says only that it is longer.
  if (found > expected) {
    const said = `malformed CSV at line ${line}: more fields than the header's ${expected}`;
    return { kind: 'malformed_csv', line, message: said, expected_fields: expected };
  }
  const said = `malformed CSV at line ${line}: ${found} fields where the header has ${expected}`;
  return { kind: 'malformed_csv', line, message: said, expected_fields: expected, found_fields: found };
}

/** A Parquet reader failure that says the file itself is broken. */
const BROKEN_PARQUET =
  /magic bytes|parquet|thrift|footer|corrupt|metadata|too small|page|snappy|zstd|gzip|decompress/i;

const NUL_CHARACTER = 'Centinela: a NUL character in field ';
/** The first line of DuckDB's message for such a failure (e.g. `Invalid Input Error: …`). */
const NUL_FAILURE = new RegExp(`^[A-Za-z ]*Error: ${NUL_CHARACTER}(\\w+)$`);

/** The failure a load raises in DuckDB for a NUL character in `field`'s column (see source.ts). */
export function nulCharacterMarker(field: string): string {
  return `${NUL_CHARACTER}${field}`;
}

/**
 * The input column of a {@link nulCharacterMarker} failure, when `message` is one: its whole
 * first line, so that text a file holds (quoted by other DuckDB messages) cannot pass for it;
 * the column comes from the read's own mapping, never from the message.
 */
function nulCharacterColumn(message: string, context: ReadContext): string | undefined {
  const first = message.split('\n', 1)[0] ?? '';
  const field = NUL_FAILURE.exec(first)?.[1];
  return field === undefined ? undefined : context.columns?.[field];
}

/** Classifies a DuckDB reader failure. */
function problemOf(message: string, context: ReadContext): InputProblem {
  const nulColumn = nulCharacterColumn(message, context);
  if (nulColumn !== undefined) {
    const said = `column ${nulColumn}: a value holds a NUL character (U+0000), which cannot be stored`;
    return { kind: 'nul_character', column: nulColumn, message: said };
  }
  if (/^Conversion Error/i.test(message)) return conversionProblem(message, context);
  if (/not utf-?8|invalid unicode/i.test(message)) {
    return context.parquet
      ? { kind: 'not_utf8', message: 'a text value is not valid UTF-8 (a corrupt Parquet file)' }
      : { kind: 'not_utf8', message: 'not valid UTF-8 CSV (save it as UTF-8)' };
  }
  if (/^IO Error/i.test(message) && /cannot open|permission|no such file/i.test(message)) {
    return { kind: 'unreadable', message: 'the file cannot be opened' };
  }
  if (context.parquet && BROKEN_PARQUET.test(message)) {
    return { kind: 'not_parquet', message: 'not a Parquet file (or a truncated or corrupt one)' };
  }
  if (!context.parquet && /sniff|dialect/i.test(message)) {
    return { kind: 'not_csv', message: 'not a CSV file with a header row (no delimiter could be detected)' };
  }
  const line = csvErrorLine(message);
  if (line !== undefined) return malformedCsv(message, line);
  return { kind: 'unreadable', message: `cannot be read (${redact(message)})` };
}

/**
 * The `INPUT_INVALID` error for a failure reading `input` ({@link ReadContext}).
 * An {@link AppError} passes through unchanged.
 *
 * @example inputError(new Error('Invalid Input Error: No magic bytes found…'), 'x.parquet', { parquet: true })
 * // AppError INPUT_INVALID "Cannot read 'x.parquet': not a Parquet file (or a truncated or corrupt one)."
 */
export function inputError(error: unknown, input: string, context: ReadContext): AppError {
  if (error instanceof AppError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const { message: said, ...problem } = problemOf(message, context);
  const file = fileOf(message) ?? input;
  return new AppError('INPUT_INVALID', `Cannot read '${file}': ${said}.`, {
    details: { input, file, ...problem },
  });
}

/** The file DuckDB names in `message` (one of a glob's), if it names one. */
function fileOf(message: string): string | undefined {
  return (/\bfile '([^'\n]+)'/.exec(message) ?? /^\s*file = (.+)$/m.exec(message))?.[1]?.trim();
}

/** The text stored as a failed run's `error`: `CODE: message`, file contents redacted. */
export function failureText(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  return `INTERNAL: ${redact(error instanceof Error ? error.message : String(error))}`;
}
