const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const precise = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const exact = new Intl.NumberFormat(undefined, { maximumFractionDigits: 6 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/** 12,345 */
export const formatCount = (n: number): string => integer.format(n);
/** 12.3 */
export const formatDecimal = (n: number): string => decimal.format(n);
/** 0.42 */
export const formatPrecise = (n: number): string => precise.format(n);
/** Up to six decimals: a value as rules compare it (0.904 > 0.9, where two decimals show 0.9). */
export const formatExact = (n: number): string => exact.format(n);
/** 42.5 % */
export const formatPercent = (fraction: number): string => percent.format(fraction);

/** €12,500.00 (falls back to "12,500 XYZ" for a code Intl does not know). */
export function formatMoney(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount);
  } catch {
    return `${precise.format(amount)} ${currency}`;
  }
}

/** 0.41 ms, 12 ms, 1.2 s */
export function formatMs(ms: number): string {
  if (ms < 10) return `${precise.format(ms)} ms`;
  if (ms < 1000) return `${integer.format(ms)} ms`;
  return `${decimal.format(ms / 1000)} s`;
}

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "3 minutes ago", "now" */
export function formatRelative(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') return relative.format(Math.round(diff / ms), unit);
  }
  return '';
}

/** 25 Nov 2026, 09:18:43 */
export const formatDateTime = (iso: string): string => dateTime.format(new Date(iso));
/** 09:18 */
export const formatTime = (iso: string): string => timeOnly.format(new Date(iso));
/** Day and time without the year or seconds, for charts that span days. */
export const formatDayTime = (iso: string): string => dayAndTime.format(new Date(iso));
