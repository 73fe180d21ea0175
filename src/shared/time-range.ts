import { ValidationError } from '../errors.js';

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
    const message = `${names[0]} must not be after ${names[1]}.`;
    throw new ValidationError([{ field: names[0], code: 'range', message }], message);
  }
  return range;
}
