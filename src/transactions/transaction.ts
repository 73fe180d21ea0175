import { randomUUID } from 'node:crypto';
import type { FieldError } from '../errors.js';
import { CURRENCIES } from '../shared/currencies.js';
import { parseIsoTime } from '../shared/iso-time.js';
import { unstorableValueIn } from '../shared/unstorable-text.js';

/** A transaction as accepted by the API, normalised (aliases resolved, defaults applied). */
export interface TransactionInput {
  readonly transaction_id: string;
  readonly account_id: string;
  readonly amount: number;
  readonly currency: string;
  /** Event time, ms since the epoch. */
  readonly time: number;
  readonly merchant_id: string | null;
  readonly merchant_type: string | null;
  readonly device_type: string | null;
  readonly channel: string | null;
  readonly origin_country: string | null;
  readonly destination_country: string | null;
  readonly balance: number | null;
  readonly location_match: 0 | 1 | null;
  /** The payload as received, unknown fields included. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type ParseResult =
  | { readonly ok: true; readonly value: TransactionInput }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

export interface ParseDefaults {
  readonly currency: string;
  /** Arrival time, used when the payload has no timestamp. */
  readonly now: number;
  /**
   * When set, a timestamp later than `now` plus {@link MAX_AHEAD_MS} is refused (the API and
   * the workers set it; replays of synthetic traffic need not).
   */
  readonly refuseFuture?: boolean;
}

/**
 * How far after its arrival a transaction's own time may lie: a clock running fast, not a date
 * days ahead. An account's velocity state keeps what lies within its retention of the
 * account's newest time, so one payment dated next year made it forget every real one, and
 * velocity rules never fired for that account again.
 */
export const MAX_AHEAD_MS = 3_600_000;

const MAX_ID = 128;
const MAX_LABEL = 64;
export const MAX_AMOUNT = 1e12;
/**
 * The latest event time, as an ISO-8601 text with a four-digit year can say: an epoch number
 * past it would be stored and then fail every read that turns it into a date.
 */
const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Region codes ICU names that are not ISO 3166-1 countries: unknown (ZZ), unions and
 * groupings (EU, EZ, UN, QO), pseudo-locales (XA, XB) and ISO's exceptional reservations.
 */
const NOT_COUNTRIES: ReadonlySet<string> = new Set('ZZ EU EZ UN QO XA XB AC CP CQ DG EA IC TA'.split(' '));
/** ISO 3166-1 alpha-2 country codes, plus XK (Kosovo), which payment networks use. */
const COUNTRIES: ReadonlySet<string> = countryCodes();

/** A field that holds one of a set of codes, upper case, as the parser normalises it. */
export interface CodeField {
  readonly codes: ReadonlySet<string>;
  /** What the codes are, for messages: `ISO 3166 alpha-2 codes such as ES`. */
  readonly what: string;
}

/** The fields a stored transaction holds only normalised codes in. */
export const CODE_FIELDS: Readonly<Record<string, CodeField>> = {
  currency: { codes: CURRENCIES, what: 'ISO 4217 codes in upper case, such as USD' },
  origin_country: { codes: COUNTRIES, what: 'ISO 3166 alpha-2 codes in upper case, such as ES' },
  destination_country: { codes: COUNTRIES, what: 'ISO 3166 alpha-2 codes in upper case, such as ES' },
};

/**
 * Validates and normalises a payload of either prototype (Kinesis: account_id, …,
 * balance; Kafka: user_id, merchant, …, location_match). Lists every invalid field.
 */
export function parseTransaction(body: unknown, defaults: ParseDefaults): ParseResult {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '', code: 'type', message: 'The body must be a JSON object.' }] };
  }
  const raw = body as Record<string, unknown>;
  const read = new FieldReader(raw);
  const value: TransactionInput = {
    transaction_id: read.id('transaction_id', false) ?? randomUUID(),
    account_id: read.aliased('account_id', 'user_id', (f) => read.id(f, true)) ?? '',
    amount: read.amount('amount'),
    currency: read.code('currency', CURRENCIES, 'an ISO 4217 code such as USD') ?? defaults.currency,
    time:
      read.timestamp('timestamp', defaults.refuseFuture ? defaults.now + MAX_AHEAD_MS : MAX_TIME_MS) ??
      defaults.now,
    merchant_id: read.aliased('merchant_id', 'merchant', (f) => read.id(f, false)) ?? null,
    merchant_type: read.label('merchant_type'),
    device_type: read.label('device_type'),
    channel: read.label('channel'),
    origin_country: read.code('origin_country', COUNTRIES, 'an ISO 3166 alpha-2 code such as ES') ?? null,
    destination_country:
      read.code('destination_country', COUNTRIES, 'an ISO 3166 alpha-2 code such as ES') ?? null,
    balance: read.balance('balance'),
    location_match: read.flag('location_match'),
    raw,
  };
  read.refuseUnstorableText();
  return read.errors.length > 0 ? { ok: false, errors: read.errors } : { ok: true, value };
}

class FieldReader {
  readonly errors: FieldError[] = [];
  constructor(private readonly body: Record<string, unknown>) {}

  private present(field: string): unknown {
    const value = this.body[field];
    return value === null ? undefined : value;
  }

  /** Text no store can keep anywhere in the payload, unknown fields included (they are stored too). */
  refuseUnstorableText(): void {
    const error = unstorableValueIn(this.body);
    if (error) this.errors.push(error);
  }

  private fail(field: string, code: string, message: string): undefined {
    this.errors.push({ field, code, message });
    return undefined;
  }

  id(field: string, required: boolean): string | undefined {
    const value = this.present(field);
    if (value === undefined)
      return required ? this.fail(field, 'required', `${field} is required.`) : undefined;
    const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof text !== 'string' || text.trim() === '') {
      return this.fail(field, 'type', `${field} must be a non-empty string.`);
    }
    if (text.length > MAX_ID)
      return this.fail(field, 'too_long', `${field} must be at most ${MAX_ID} characters.`);
    return text;
  }

  aliased<T>(field: string, alias: string, read: (field: string) => T | undefined): T | undefined {
    const hasField = this.present(field) !== undefined;
    const hasAlias = this.present(alias) !== undefined;
    if (hasField && hasAlias && this.body[field] !== this.body[alias]) {
      return this.fail(alias, 'conflict', `${alias} is an alias of ${field}; they differ.`);
    }
    return read(hasAlias && !hasField ? alias : field);
  }

  amount(field: string): number {
    const value = this.present(field);
    if (value === undefined) return this.fail(field, 'required', `${field} is required.`) ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.fail(field, 'type', `${field} must be a number.`) ?? 0;
    }
    if (value <= 0 || value > MAX_AMOUNT) {
      return this.fail(field, 'range', `${field} must be greater than 0 and at most ${MAX_AMOUNT}.`) ?? 0;
    }
    return value;
  }

  balance(field: string): number | null {
    const value = this.present(field);
    if (value === undefined) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return this.fail(field, 'type', `${field} must be a number.`) ?? null;
    }
    if (value < 0) return this.fail(field, 'range', `${field} must be a number of at least 0.`) ?? null;
    return value;
  }

  /** A code from `known`, trimmed and upper-cased (`es` is ES). */
  code(field: string, known: ReadonlySet<string>, what: string): string | undefined {
    const value = this.present(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') return this.fail(field, 'type', `${field} must be a string: ${what}.`);
    const upper = value.trim().toUpperCase();
    if (!known.has(upper)) return this.fail(field, 'format', `${field} must be ${what}.`);
    return upper;
  }

  label(field: string): string | null {
    const value = this.present(field);
    if (value === undefined) return null;
    if (typeof value !== 'string') return this.fail(field, 'type', `${field} must be a string.`) ?? null;
    if (value.length > MAX_LABEL) {
      return this.fail(field, 'too_long', `${field} must be at most ${MAX_LABEL} characters.`) ?? null;
    }
    return value;
  }

  flag(field: string): 0 | 1 | null {
    const value = this.present(field);
    if (value === undefined) return null;
    if (value === true || value === 1) return 1;
    if (value === false || value === 0) return 0;
    return this.fail(field, 'type', `${field} must be 0, 1, true or false.`) ?? null;
  }

  /** A timestamp from 1970 to `latest`. */
  timestamp(field: string, latest: number): number | undefined {
    const value = this.present(field);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      return this.fail(
        field,
        'type',
        `${field} must be an ISO-8601 date-time string or epoch seconds or ms.`,
      );
    }
    const time = parseTime(value);
    if (time === undefined) {
      return this.fail(
        field,
        'format',
        `${field} must be an ISO-8601 date-time (UTC when no offset is given).`,
      );
    }
    if (time < 0) return this.fail(field, 'range', `${field} must be 1970-01-01T00:00:00Z or later.`);
    if (time > MAX_TIME_MS)
      return this.fail(field, 'range', `${field} must be at most 9999-12-31T23:59:59.999Z.`);
    if (time > latest) {
      const ahead = aheadText(time - (latest - MAX_AHEAD_MS));
      return this.fail(
        field,
        'future',
        `${field} must be at most one hour after the transaction arrived; it is ${ahead} ahead (a time without an offset is read as UTC: send UTC, or the local time with its offset).`,
      );
    }
    return time;
  }
}

/** How far a time is after arrival: minutes (rounded up, so never "60 min" for 60.5) under two hours, else hours. */
function aheadText(ms: number): string {
  const minutes = Math.ceil(ms / 60_000);
  return minutes < 120 ? `${minutes} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** ISO-8601 text (UTC when it has no offset) or epoch seconds/milliseconds. */
function parseTime(value: unknown): number | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  return typeof value === 'string' ? parseIsoTime(value) : undefined;
}

/** Every two-letter code ICU names as a region, minus aliases (UK → GB) and non-countries. */
function countryCodes(): Set<string> {
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  const codes = letters.flatMap((first) => letters.map((second) => first + second));
  const isCanonical = (code: string) => Intl.getCanonicalLocales(`und-${code}`)[0] === `und-${code}`;
  return new Set(
    codes.filter((code) => names.of(code) !== undefined && isCanonical(code) && !NOT_COUNTRIES.has(code)),
  );
}
