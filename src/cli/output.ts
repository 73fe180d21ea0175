/** Prints `value` as one JSON document (for scripts) or as a table (for people). */
export function printResult(json: boolean, value: unknown, table: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${table()}\n`);
}

/**
 * One of many results of a long-running command (a schedule's batches): `--json` prints each as
 * one compact line (JSON Lines), so a reader can parse the output line by line as it comes.
 */
export function printLine(json: boolean, value: unknown, text: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text()}\n`);
}

/** A plain text table with a header row. */
export function formatTable(rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => formatCell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** What a failed command reports: the API's error envelope `{code, message, details}`. */
export interface Failure {
  readonly code: string;
  readonly message: string;
  readonly details?: unknown;
}

/**
 * Prints an error and sets a failing exit code: with `json`, `{"error": {code, message,
 * details}}` on stdout (what the API answers); otherwise `centinela: CODE: message` and the
 * details on stderr.
 */
export function fail(failure: Failure, json = false): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: failure })}\n`);
  else {
    const details = failure.details === undefined ? '' : `\n${JSON.stringify(failure.details, null, 2)}`;
    process.stderr.write(`centinela: ${failure.code}: ${failure.message}${details}\n`);
  }
  process.exitCode = 1;
}
