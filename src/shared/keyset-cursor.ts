/**
 * The cursor of a newest-first log page: the time (ms) and id of the page's last row, as
 * `at:id`. The next page holds the rows strictly older than that pair.
 */
export interface KeysetCursor {
  readonly at: number;
  readonly id: string;
}

/** What a `cursor` query parameter must look like (the routes' schemas check it). */
export const CURSOR_PATTERN = '^[0-9]{1,16}:[0-9A-Za-z_-]{1,80}$';

export function cursorText(cursor: KeysetCursor): string {
  return `${cursor.at}:${cursor.id}`;
}

/** Reads a cursor the schema has already checked against {@link CURSOR_PATTERN}. */
export function cursorOf(text: string): KeysetCursor {
  const split = text.indexOf(':');
  return { at: Number(text.slice(0, split)), id: text.slice(split + 1) };
}

/** The cursor of the page after `rows` (newest first), or null when `rows` was the last page. */
export function nextCursor<R>(
  rows: readonly R[],
  limit: number,
  keyOf: (row: R) => KeysetCursor,
): string | null {
  const last = rows.length === limit ? rows[rows.length - 1] : undefined;
  return last === undefined ? null : cursorText(keyOf(last));
}
