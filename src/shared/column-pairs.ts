/** One `column=field` pair of a `--map` flag (or an API `map`), trimmed. */
export interface ColumnPair {
  readonly column: string;
  readonly field: string;
  /** The pair as written, for error messages. */
  readonly written: string;
}

/**
 * Splits `column=field` pairs, several to a flag when separated by commas
 * (`--map uid=user_id,ts=timestamp`). A pair without exactly one `=`, or with an empty side,
 * is returned as written in `malformed`.
 *
 * @example columnPairs(['amt = amount,x']) // { pairs: [{ column: 'amt', field: 'amount', … }], malformed: ['x'] }
 */
export function columnPairs(flags: readonly string[]): { pairs: ColumnPair[]; malformed: string[] } {
  const pairs: ColumnPair[] = [];
  const malformed: string[] = [];
  for (const written of flags.flatMap((flag) => flag.split(','))) {
    const sides = written.split('=').map((side) => side.trim());
    const [column, field] = sides;
    if (sides.length === 2 && column && field) pairs.push({ column, field, written });
    else malformed.push(written);
  }
  return { pairs, malformed };
}
