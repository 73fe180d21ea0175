import { WINDOWS, type TransactionFeatures } from './features.js';

/** What velocity needs to know of a transaction. */
export interface VelocityEvent {
  readonly accountId: string;
  /** Event time, ms since the epoch. */
  readonly time: number;
  readonly amount: number;
  readonly originCountry: string | null;
  readonly destinationCountry: string | null;
  readonly balance: number | null;
}

interface AccountHistory {
  /** Transactions received before now (all time, not only retained ones). */
  received: number;
  /** Retained events sorted by time; ties keep arrival order. */
  readonly times: number[];
  readonly amounts: number[];
  readonly destinations: (string | null)[];
  newest: number;
}

/**
 * Per-account velocity state. Windows hold the account's transactions received so far
 * whose timestamps lie in [t − L, t]; late arrivals are inserted in time order, so they
 * count for transactions decided after them and never change earlier decisions.
 *
 * Events older than `retentionMs` behind an account's newest event are forgotten; a
 * transaction arriving later than that sees only what is retained.
 */
export class VelocityState {
  private readonly accounts = new Map<string, AccountHistory>();

  constructor(private readonly retentionMs: number = 48 * 3_600_000) {}

  /** Number of accounts with state. */
  get size(): number {
    return this.accounts.size;
  }

  /** Features of `event` against the state, without recording it. */
  features(event: VelocityEvent): TransactionFeatures {
    return computeFeatures(this.accounts.get(event.accountId), event);
  }

  /** Records `event` as received; later events see it. */
  record(event: VelocityEvent): void {
    const history = this.historyOf(event.accountId);
    history.received += 1;
    insertEvent(history, event);
    history.newest = Math.max(history.newest, event.time);
    prune(history, history.newest - this.retentionMs);
  }

  /** Computes the features of `event`, then records it. */
  next(event: VelocityEvent): TransactionFeatures {
    const features = this.features(event);
    this.record(event);
    return features;
  }

  /** Undoes {@link record} of `event` (used when a batch fails to commit). */
  forget(event: VelocityEvent): void {
    const history = this.accounts.get(event.accountId);
    if (!history) return;
    history.received -= 1;
    const index = findEvent(history, event);
    if (index >= 0) removeAt(history, index);
  }

  /** Sets how many transactions an account had before the retained ones (restores state at start). */
  addReceived(accountId: string, count: number): void {
    this.historyOf(accountId).received += count;
  }

  /** Forgets every account. */
  clear(): void {
    this.accounts.clear();
  }

  /** Forgets the accounts `predicate` selects (e.g. those of a partition another worker took). */
  removeAccounts(predicate: (accountId: string) => boolean): void {
    for (const accountId of this.accounts.keys()) if (predicate(accountId)) this.accounts.delete(accountId);
  }

  private historyOf(accountId: string): AccountHistory {
    let history = this.accounts.get(accountId);
    if (!history) {
      history = { received: 0, times: [], amounts: [], destinations: [], newest: -Infinity };
      this.accounts.set(accountId, history);
    }
    return history;
  }
}

function computeFeatures(history: AccountHistory | undefined, event: VelocityEvent): TransactionFeatures {
  const t = event.time;
  const end = history ? upperBound(history.times, t) : 0;
  const window = (length: number) => windowStats(history, end, t - length, event.amount);
  const w60 = window(WINDOWS['60s']);
  const w1h = window(WINDOWS['1h']);
  const w24h = window(WINDOWS['24h']);
  const previous = history && end > 0 ? history.times[end - 1] : undefined;
  return {
    count_60s: w60.count,
    sum_60s: w60.sum,
    count_1h: w1h.count,
    sum_1h: w1h.sum,
    count_24h: w24h.count,
    sum_24h: w24h.sum,
    seconds_since_previous: previous === undefined ? null : (t - previous) / 1000,
    distinct_destinations_24h: distinctDestinations(history, w24h.start, end, event.destinationCountry),
    amount_to_balance: event.balance ? event.amount / event.balance : null,
    hour_of_day: new Date(t).getUTCHours(),
    cross_border: crossBorder(event) ? 1 : 0,
    prior_transactions: history?.received ?? 0,
  };
}

function windowStats(history: AccountHistory | undefined, end: number, from: number, amount: number) {
  if (!history) return { start: 0, count: 1, sum: amount };
  const start = lowerBound(history.times, from);
  let sum = amount;
  for (let i = start; i < end; i++) sum += history.amounts[i] ?? 0;
  return { start, count: end - start + 1, sum: roundCents(sum) };
}

function distinctDestinations(
  history: AccountHistory | undefined,
  start: number,
  end: number,
  own: string | null,
): number {
  const seen = new Set<string>();
  if (own) seen.add(own);
  for (let i = start; i < end; i++) {
    const destination = history?.destinations[i];
    if (destination) seen.add(destination);
  }
  return seen.size;
}

/** True when both countries are present and differ. */
export function crossBorder(event: Pick<VelocityEvent, 'originCountry' | 'destinationCountry'>): boolean {
  return (
    event.originCountry !== null &&
    event.destinationCountry !== null &&
    event.originCountry !== event.destinationCountry
  );
}

/** Sums of money are kept to a precision that does not drift with float addition. */
function roundCents(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function insertEvent(history: AccountHistory, event: VelocityEvent): void {
  const at = upperBound(history.times, event.time);
  if (at === history.times.length) {
    history.times.push(event.time);
    history.amounts.push(event.amount);
    history.destinations.push(event.destinationCountry);
    return;
  }
  history.times.splice(at, 0, event.time);
  history.amounts.splice(at, 0, event.amount);
  history.destinations.splice(at, 0, event.destinationCountry);
}

function findEvent(history: AccountHistory, event: VelocityEvent): number {
  for (let i = upperBound(history.times, event.time) - 1; i >= 0 && history.times[i] === event.time; i--) {
    if (history.amounts[i] === event.amount && history.destinations[i] === event.destinationCountry) return i;
  }
  return -1;
}

function removeAt(history: AccountHistory, index: number): void {
  history.times.splice(index, 1);
  history.amounts.splice(index, 1);
  history.destinations.splice(index, 1);
}

function prune(history: AccountHistory, before: number): void {
  const drop = lowerBound(history.times, before);
  if (drop === 0) return;
  history.times.splice(0, drop);
  history.amounts.splice(0, drop);
  history.destinations.splice(0, drop);
}

/** First index whose value is >= target. */
function lowerBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > target. */
function upperBound(values: readonly number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
