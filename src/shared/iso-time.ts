import { ValidationError } from '../errors.js';

const ISO_DATE_TIME =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?:[T ](?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.\d+)?)?)?(?<zone>Z|[+-]\d{2}:?\d{2})?$/i;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * ISO-8601 text as ms since the epoch: a date (`2026-12-01`, midnight UTC) or a date and time,
 * `T` or a space between, seconds and fractions optional, UTC when it has no offset (never the
 * machine's time zone). Undefined for anything else, and for a date or time that does not exist
 * (`Date.parse` rolls 2026-02-30 over to March 2, reads `1` as the year 2001 and times without
 * an offset as local time; it gives NaN for a leap second, which RFC 3339 formats let through).
 */
export function parseIsoTime(text: string): number | undefined {
  const trimmed = text.trim();
  const fields = ISO_DATE_TIME.exec(trimmed)?.groups;
  if (!fields || !isCalendarValid(fields)) return undefined;
  const utc = fields.zone || !trimmed.includes(':') ? trimmed : `${trimmed}Z`;
  const time = Date.parse(utc.replace(' ', 'T'));
  return Number.isNaN(time) ? undefined : time;
}

/**
 * `--from`/`--to` and `from`/`to` values as ms since the epoch ({@link parseIsoTime});
 * undefined stays undefined; other text is a 400-style error naming `field`.
 */
export function timeFieldOf(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const time = parseIsoTime(value);
  if (time !== undefined) return time;
  const name = field.replace(/^querystring\./, '');
  const message = `${name} must be an ISO-8601 date or date-time (UTC when no offset is given), not '${value}'.`;
  throw new ValidationError([{ field, code: 'format', message }], message);
}

/** True when the date and time exist. */
function isCalendarValid(fields: Readonly<Record<string, string | undefined>>): boolean {
  const part = (name: string) => Number(fields[name] ?? 0);
  const [year, month, day] = [part('year'), part('month'), part('day')];
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    part('hour') <= 23 &&
    part('minute') <= 59 &&
    part('second') <= 59
  );
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}
