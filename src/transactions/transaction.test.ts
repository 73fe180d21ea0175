import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { MAX_AHEAD_MS, parseTransaction } from './transaction.js';

const defaults = { currency: 'EUR', now: Date.UTC(2026, 0, 1) };
const parse = (body: unknown) => parseTransaction(body, defaults);
const fieldsOf = (body: unknown) => {
  const result = parse(body);
  return result.ok ? [] : result.errors.map((e) => `${e.field}:${e.code}`);
};

describe('parseTransaction', () => {
  it('accepts the Kinesis prototype payload', () => {
    const result = parse({
      account_id: 'A1',
      amount: 120.5,
      timestamp: '2026-03-01T10:00:00Z',
      origin_country: 'es',
      destination_country: 'FR',
      balance: 1000,
    });
    expect(result.ok && result.value).toMatchObject({
      account_id: 'A1',
      amount: 120.5,
      currency: 'EUR',
      time: Date.UTC(2026, 2, 1, 10),
      origin_country: 'ES',
      destination_country: 'FR',
      balance: 1000,
    });
  });

  it('accepts the Kafka prototype payload, with aliases and unknown fields kept', () => {
    const body = {
      user_id: 42,
      amount: 99,
      merchant: 'm-1',
      merchant_type: 'online',
      device_type: 'mobile',
      location_match: 0,
      user_history: 0.3,
    };
    const result = parse(body);
    expect(result.ok && result.value).toMatchObject({
      account_id: '42',
      merchant_id: 'm-1',
      location_match: 0,
      time: defaults.now,
    });
    expect(result.ok && result.value.raw).toEqual(body);
    expect(result.ok && result.value.transaction_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads timestamps without offset as UTC, and epoch seconds or milliseconds', () => {
    const at = (timestamp: unknown) => {
      const r = parse({ account_id: 'a', amount: 1, timestamp });
      return r.ok ? r.value.time : undefined;
    };
    expect(at('2026-03-01T10:00:00')).toBe(Date.UTC(2026, 2, 1, 10));
    expect(at('2026-03-01T12:00:00+02:00')).toBe(Date.UTC(2026, 2, 1, 10));
    expect(at(1_772_359_200)).toBe(1_772_359_200_000);
    expect(at(1_772_359_200_000)).toBe(1_772_359_200_000);
    expect(at(253_402_300_799_999)).toBe(Date.parse('9999-12-31T23:59:59.999Z'));
    expect(location_match_of(true)).toBe(1);
  });

  it.each([
    [{ amount: 1 }, ['account_id:required']],
    [{ account_id: 'a' }, ['amount:required']],
    [{ account_id: 'a', amount: 0 }, ['amount:range']],
    [{ account_id: 'a', amount: '5' }, ['amount:type']],
    [{ account_id: '', amount: 5 }, ['account_id:type']],
    [{ account_id: 'x'.repeat(129), amount: 5 }, ['account_id:too_long']],
    [{ account_id: 'a', user_id: 'b', amount: 5 }, ['user_id:conflict']],
    [{ account_id: 'a', amount: 5, currency: 'euro' }, ['currency:format']],
    [{ account_id: 'a', amount: 5, timestamp: '01/02/2026' }, ['timestamp:format']],
    // Epoch numbers past year 9999 (1e20 is past what a JavaScript date can hold at all).
    [{ account_id: 'a', amount: 5, timestamp: 253_402_300_800_000 }, ['timestamp:range']],
    [{ account_id: 'a', amount: 5, timestamp: 1e20 }, ['timestamp:range']],
    [{ account_id: 'a', amount: 5, origin_country: 'ESP' }, ['origin_country:format']],
    [{ account_id: 'a', amount: 5, balance: -1 }, ['balance:range']],
    // A value of another JSON type than the field's is a `type` error, as the README says.
    [{ account_id: 'a', amount: 5, balance: '5' }, ['balance:type']],
    [{ account_id: 'a', amount: 5, balance: true }, ['balance:type']],
    [{ account_id: 'a', amount: 5, currency: 5 }, ['currency:type']],
    [{ account_id: 'a', amount: 5, origin_country: ['ES'] }, ['origin_country:type']],
    [{ account_id: 'a', amount: 5, timestamp: true }, ['timestamp:type']],
    [{ account_id: 'a', amount: 5, timestamp: {} }, ['timestamp:type']],
    [{ account_id: 'a', amount: 5, location_match: 'yes' }, ['location_match:type']],
    [{ account_id: 'a', amount: 5, transaction_id: 'x'.repeat(129) }, ['transaction_id:too_long']],
    [{ account_id: 'a', amount: 5, merchant_type: 3 }, ['merchant_type:type']],
    [
      { account_id: 'a', amount: 5, currency: 'QQQ', origin_country: 'QQ', destination_country: 'ZZ' },
      ['currency:format', 'origin_country:format', 'destination_country:format'],
    ],
  ])('rejects %j with %j', (body, expected) => {
    expect(fieldsOf(body)).toEqual(expected);
  });

  it('refuses the NUL character anywhere in the payload (PostgreSQL cannot store it), naming the field', () => {
    expect(fieldsOf({ account_id: 'a\u0000', amount: 1 })).toEqual(['account_id:nul_character']);
    expect(fieldsOf({ account_id: 'a', amount: 1, kept: { note: '\u0000' } })).toEqual([
      'kept.note:nul_character',
    ]);
    expect(fieldsOf({ account_id: 'a', amount: 1, kept: { note: 'no nul' } })).toEqual([]);
  });

  it('accepts only ISO 4217 currencies, in any case', () => {
    const currencyOf = (currency: string) => {
      const r = parse({ account_id: 'a', amount: 1, currency });
      return r.ok ? r.value.currency : r.errors.map((e) => `${e.field}:${e.code}`);
    };
    expect(['USD', 'eur', ' JPY ', 'CHF'].map(currencyOf)).toEqual(['USD', 'EUR', 'JPY', 'CHF']);
    // ISO 4217 codes that the runtime's ICU does not list: Venezuela's VED, Chile's UF, gold.
    expect(['VED', 'clf', 'XAU', 'XTS'].map(currencyOf)).toEqual(['VED', 'CLF', 'XAU', 'XTS']);
    // The default currency is checked against the same codes when the service starts.
    expect(loadConfig({ CENTINELA_DEFAULT_CURRENCY: 'ved' }).defaultCurrency).toBe('VED');
    expect(() => loadConfig({ CENTINELA_DEFAULT_CURRENCY: 'QQQ' })).toThrow(
      'CENTINELA_DEFAULT_CURRENCY=QQQ must be an ISO 4217 code such as USD',
    );
    for (const unknown of ['QQQ', 'ABC', 'XXX', 'EURO', 'US'])
      expect(currencyOf(unknown)).toEqual(['currency:format']);
  });

  it('accepts ISO 3166-1 alpha-2 countries and XK, not regions, aliases or unknown codes', () => {
    const countryOf = (origin_country: string) => {
      const r = parse({ account_id: 'a', amount: 1, origin_country });
      return r.ok ? r.value.origin_country : 'rejected';
    };
    expect(['ES', 'gb', 'US', 'CW', 'SS', 'XK', 'AQ'].map(countryOf)).toEqual([
      'ES',
      'GB',
      'US',
      'CW',
      'SS',
      'XK',
      'AQ',
    ]);
    const refused = ['ZZ', 'EU', 'EZ', 'UN', 'QO', 'XA', 'QQ', 'AA', 'UK', 'SU', 'YU', 'AN', 'IC', 'EA'];
    expect(refused.map(countryOf)).toEqual(refused.map(() => 'rejected'));
  });

  it('rejects dates and times that do not exist instead of rolling them over', () => {
    const timeOf = (timestamp: string) => {
      const r = parse({ account_id: 'a', amount: 1, timestamp });
      return r.ok ? r.value.time : r.errors.map((e) => `${e.field}:${e.code}`);
    };
    for (const impossible of [
      '2026-02-31T00:00:00Z',
      '2026-02-29',
      '2026-04-31T10:00:00',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-03-00T00:00:00Z',
      '2026-03-01T25:00:00Z',
      '2026-03-01T24:00:00Z',
      '2026-03-01T10:60:00Z',
      '2026-03-01T10:00:60Z',
      '2026-03-01 25:00',
    ])
      expect(timeOf(impossible), impossible).toEqual(['timestamp:format']);
    expect(timeOf('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(timeOf('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(timeOf('2026-12-31T23:59:59.999+01:00')).toBe(Date.UTC(2026, 11, 31, 22, 59, 59, 999));
    expect(timeOf('2026-03-01 10:00')).toBe(Date.UTC(2026, 2, 1, 10));
    expect(timeOf('1900-02-29')).toEqual(['timestamp:format']);
  });

  it('refuses a time more than an hour after arrival when asked to (the API and workers), and before 1970', () => {
    const now = Date.UTC(2026, 11, 7, 12);
    const timeOf = (timestamp: string, refuseFuture = true) => {
      const r = parseTransaction(
        { account_id: 'a', amount: 1, timestamp },
        { ...defaults, now, refuseFuture },
      );
      return r.ok ? r.value.time : r.errors.map((e) => `${e.field}:${e.code}`);
    };
    expect(timeOf('2026-12-07T13:00:00Z')).toBe(now + MAX_AHEAD_MS);
    expect(timeOf('2026-12-07T13:00:00.001Z')).toEqual(['timestamp:future']);
    expect(timeOf('9999-12-31T00:00:00Z')).toEqual(['timestamp:future']);
    expect(timeOf('9999-12-31T00:00:00Z', false)).toBe(Date.UTC(9999, 11, 30 + 1));
    expect(timeOf('1969-12-31T23:59:59Z')).toEqual(['timestamp:range']);
    expect(timeOf('0000-01-01T00:00:00Z')).toEqual(['timestamp:range']);
  });

  it('says how far ahead a refused time is, and how a time without an offset is read', () => {
    const now = Date.UTC(2026, 11, 7, 12);
    // A client two hours east of UTC sending its local time without the offset.
    const r = parseTransaction(
      { account_id: 'a', amount: 1, timestamp: '2026-12-07T14:00:00' },
      { ...defaults, now, refuseFuture: true },
    );
    expect(r.ok ? [] : r.errors.map((e) => e.message)).toEqual([
      'timestamp must be at most one hour after the transaction arrived; it is 2.0 h ahead (a time without an offset is read as UTC: send UTC, or the local time with its offset).',
    ]);
    const justOver = parseTransaction(
      { account_id: 'a', amount: 1, timestamp: '2026-12-07T13:00:30Z' },
      { ...defaults, now, refuseFuture: true },
    );
    expect(justOver.ok ? '' : justOver.errors[0]?.message).toContain('it is 61 min ahead');
    const withOffset = parseTransaction(
      { account_id: 'a', amount: 1, timestamp: '2026-12-07T14:00:00+02:00' },
      { ...defaults, now, refuseFuture: true },
    );
    expect(withOffset.ok && withOffset.value.time).toBe(now);
  });

  it('lists every invalid field at once', () => {
    expect(fieldsOf({ amount: -5, currency: 1, destination_country: 'x', balance: 'lots' })).toEqual([
      'account_id:required',
      'amount:range',
      'currency:type',
      'destination_country:format',
      'balance:type',
    ]);
    expect(fieldsOf([1, 2])).toEqual([':type']);
  });
});

function location_match_of(value: unknown) {
  const r = parse({ account_id: 'a', amount: 1, location_match: value });
  return r.ok ? r.value.location_match : undefined;
}
