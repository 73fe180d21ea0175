import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseIsoTime, timeFieldOf } from './iso-time.js';

describe('parseIsoTime', () => {
  it('reads dates and date-times, UTC when no offset is given', () => {
    expect(parseIsoTime('2026-12-01')).toBe(Date.UTC(2026, 11, 1));
    expect(parseIsoTime('2026-12-01T10:30')).toBe(Date.UTC(2026, 11, 1, 10, 30));
    expect(parseIsoTime(' 2026-12-01 10:30:05.123 ')).toBe(Date.UTC(2026, 11, 1, 10, 30, 5, 123));
    expect(parseIsoTime('2026-12-01T10:30:00+02:00')).toBe(Date.UTC(2026, 11, 1, 8, 30));
    expect(parseIsoTime('2028-02-29T00:00:00z')).toBe(Date.UTC(2028, 1, 29));
    expect(parseIsoTime('2026-03-01T10:00:00.1234567890Z')).toBe(Date.UTC(2026, 2, 1, 10, 0, 0, 123));
  });

  it('refuses what does not exist or is not ISO-8601, which Date.parse would read', () => {
    for (const text of [
      '2026-02-30',
      '2026-02-29',
      '1900-02-29',
      '2026-13-01',
      '2026-12-01T24:00',
      '2026-12-31T23:59:60Z',
      '1',
      '12/01/2026',
      'Dec 1 2026',
      '',
      '2026-12-01T10',
      '2026-12-01+02:00',
      '2026',
      '2026-03',
    ])
      expect(parseIsoTime(text), text).toBeUndefined();
  });
});

describe('timeFieldOf', () => {
  it('leaves an absent value absent and names the field and the value it refuses', () => {
    expect(timeFieldOf(undefined, '--from')).toBeUndefined();
    expect(timeFieldOf('2026-12-01', '--from')).toBe(Date.UTC(2026, 11, 1));
    const refusal = (() => {
      try {
        timeFieldOf('2026-02-30', 'querystring.from');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(ValidationError);
    expect((refusal as ValidationError).fields).toEqual([
      expect.objectContaining({ field: 'querystring.from', code: 'format' }),
    ]);
    expect((refusal as ValidationError).message).toBe(
      "from must be an ISO-8601 date or date-time (UTC when no offset is given), not '2026-02-30'.",
    );
  });
});
