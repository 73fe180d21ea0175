/** One `column=field` pair of a `--map` flag (or an API `map`), trimmed. */
export interface ColumnPair {
  readonly column: string;
  readonly field: string;
  /** The pair as written, for error messages. */
  readonly written: string;
}

/** Said with a malformed pair. */
export const QUOTING_HINT =
  'a column name holding a comma or = goes in double quotes, "" for a quote in it: "Amount, USD"=amount';

/**
 * Splits `column=field` pairs, several to a flag when separated by commas
 * (`--map uid=user_id,ts=timestamp`). A column whose name holds a comma, an `=` or spaces at
 * its ends is written in double quotes, `""` for a quote in it (`--map '"Amount, USD"=amount'`).
 * A pair without exactly one `=`, with an empty side or an unclosed quote, is returned as
 * written in `malformed`.
 *
 * @example columnPairs(['amt = amount,x']) // { pairs: [{ column: 'amt', field: 'amount', … }], malformed: ['x'] }
 */
export function columnPairs(flags: readonly string[]): { pairs: ColumnPair[]; malformed: string[] } {
  const pairs: ColumnPair[] = [];
  const malformed: string[] = [];
  for (const written of flags.flatMap((flag) => splitOutsideQuotes(flag, ','))) {
    const sides = splitOutsideQuotes(written, '=').map(unquoted);
    const [column, field] = sides;
    if (sides.length === 2 && column && field) pairs.push({ column, field, written });
    else malformed.push(written);
  }
  return { pairs, malformed };
}

/**
 * `text` split at each `separator` that is not between double quotes (quotes kept). A quote
 * opens only at the start of a part (after spaces): `my"col` is a name holding a quote.
 */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"')
        i++; // "" within quotes: a quote
      else if (char === '"') quoted = false;
    } else if (char === '"' && text.slice(start, i).trim() === '') {
      quoted = true;
    } else if (char === separator) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * One side of a pair, trimmed; one that starts with a double quote as written between its
 * quotes, `""` read as `"`, and undefined (malformed) if it is not closed or text follows it.
 */
function unquoted(side: string): string | undefined {
  const trimmed = side.trim();
  if (!trimmed.startsWith('"')) return trimmed;
  const match = /^"((?:[^"]|"")*)"$/.exec(trimmed);
  return match ? (match[1] as string).replaceAll('""', '"') : undefined;
}
