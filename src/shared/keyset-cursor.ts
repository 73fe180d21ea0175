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

/** One page of a listing, and the row the next page starts after (none on the last page). */
export interface Page<R> {
  readonly rows: R[];
  readonly continueAfter: R | undefined;
}

/**
 * Reads a page of at most `limit` rows by asking `read` for one row more: only a row beyond
 * the page says another page follows, so a full last page has no next cursor (and no empty
 * page after it).
 */
export async function readPage<R>(limit: number, read: (limit: number) => Promise<R[]>): Promise<Page<R>> {
  const rows = await read(limit + 1);
  if (rows.length <= limit) return { rows, continueAfter: undefined };
  rows.length = limit;
  return { rows, continueAfter: rows[limit - 1] };
}

/** The cursor of the page after `page` (newest first), or null when `page` was the last one. */
export function nextCursor<R>(page: Page<R>, keyOf: (row: R) => KeysetCursor): string | null {
  return page.continueAfter === undefined ? null : cursorText(keyOf(page.continueAfter));
}
