import { ValidationError } from '../errors.js';
import { timeFieldOf } from './iso-time.js';

/** A `from`/`to` range in ms since the epoch; either end may be open. */
export interface TimeRange {
  readonly from?: number;
  readonly to?: number;
}

/**
 * The range, or a 400-style error on its first field when `from` is after `to` (such a range
 * holds nothing, and answering an empty result would hide the mistake). `names` are the
 * fields as the caller knows them (`from`, or the CLI's `--from`).
 */
export function orderedRange<R extends TimeRange>(
  range: R,
  names: readonly [string, string] = ['from', 'to'],
): R {
  if (range.from !== undefined && range.to !== undefined && range.from > range.to) {
    const [from, to] = names.map((name) => name.replace(/^querystring\./, ''));
    const message = `${from} must not be after ${to}.`;
    throw new ValidationError([{ field: names[0], code: 'range', message }], message);
  }
  return range;
}

/**
 * The `from`/`to` query parameters of a list route as an ordered range; errors name
 * `querystring.from` / `querystring.to`, as schema errors name query parameters.
 */
export function queryTimeRange(query: { readonly from?: string; readonly to?: string }): TimeRange {
  const [from, to] = ['querystring.from', 'querystring.to'] as const;
  const range = { from: timeFieldOf(query.from, from), to: timeFieldOf(query.to, to) };
  return orderedRange(
    {
      ...(range.from === undefined ? {} : { from: range.from }),
      ...(range.to === undefined ? {} : { to: range.to }),
    },
    [from, to],
  );
}
