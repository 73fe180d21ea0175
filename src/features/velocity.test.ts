import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { VelocityState, type VelocityEvent } from './velocity.js';

const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

function event(time: number, amount = 10, extra: Partial<VelocityEvent> = {}): VelocityEvent {
  return {
    accountId: 'acc-1',
    time,
    amount,
    originCountry: null,
    destinationCountry: null,
    balance: null,
    ...extra,
  };
}

describe('VelocityState', () => {
  it('counts the transaction itself and earlier ones within 60 s, boundary included', () => {
    const state = new VelocityState();
    state.next(event(T0, 5));
    state.next(event(T0 + 30_000, 7));
    const third = state.next(event(T0 + 60_000, 11));
    expect(third.count_60s).toBe(3);
    expect(third.sum_60s).toBe(23);
    const fourth = state.next(event(T0 + 60_001, 1));
    expect(fourth.count_60s).toBe(3); // T0 has left the window
    expect(fourth.count_1h).toBe(4);
    expect(fourth.prior_transactions).toBe(3);
  });

  it('keeps accounts apart', () => {
    const state = new VelocityState();
    state.next(event(T0));
    const other = state.next(event(T0, 10, { accountId: 'acc-2' }));
    expect(other.count_60s).toBe(1);
    expect(other.prior_transactions).toBe(0);
    expect(other.seconds_since_previous).toBeNull();
  });

  it('counts a late arrival for later decisions but ignores transactions timed after t', () => {
    const state = new VelocityState();
    state.next(event(T0 + 50_000));
    const late = state.next(event(T0)); // arrives after, timed before
    expect(late.count_60s).toBe(1); // the T0+50s one is in the future of this one
    expect(late.prior_transactions).toBe(1);
    const after = state.next(event(T0 + 55_000));
    expect(after.count_60s).toBe(3);
    expect(after.seconds_since_previous).toBe(5);
  });

  it('computes balance, cross-border, hour and distinct destinations', () => {
    const state = new VelocityState();
    state.next(event(T0, 10, { destinationCountry: 'FR' }));
    state.next(event(T0 + 1000, 10, { destinationCountry: 'DE' }));
    const f = state.next(
      event(T0 + 2000, 90, { originCountry: 'ES', destinationCountry: 'FR', balance: 100 }),
    );
    expect(f.distinct_destinations_24h).toBe(2);
    expect(f.amount_to_balance).toBeCloseTo(0.9);
    expect(f.cross_border).toBe(1);
    expect(f.hour_of_day).toBe(12);
    expect(state.features(event(T0, 1, { balance: 0 })).amount_to_balance).toBeNull();
  });

  it('forget undoes record', () => {
    const state = new VelocityState();
    state.next(event(T0));
    state.forgetAll([state.record(event(T0 + 1))]);
    expect(state.features(event(T0 + 2)).count_60s).toBe(2);
    expect(state.features(event(T0 + 2)).prior_transactions).toBe(1);
  });

  // A batch that is not stored is forgotten; its events may have moved an account's retention
  // on (a replayed id posted again with a much later timestamp) or created an account.
  it('forget undoes record exactly: retention, a new account, a busy account’s index', () => {
    const HOUR = 3_600_000;
    const state = new VelocityState(30 * HOUR);
    for (let i = 0; i < 40; i++)
      // more than 32 events: the account has a window index
      state.record(event(T0 + i * 60_000, 10 + i, { destinationCountry: i % 2 ? 'ES' : 'FR' }));
    const probe = event(T0 + 40 * 60_000, 5, { destinationCountry: 'DE' });
    const before = state.features(probe);

    const records = [state.record(event(T0 + 49 * HOUR)), state.record({ ...event(T0), accountId: 'acc-2' })];
    expect(state.features(probe).count_1h).toBe(1); // retention dropped the 40 events
    expect(state.size).toBe(2);
    state.forgetAll(records);

    expect(state.features(probe)).toEqual(before);
    expect(before).toMatchObject({ count_1h: 41, distinct_destinations_24h: 3, prior_transactions: 40 });
    expect(state.size).toBe(1);
    state.record(probe); // and the state goes on from there
    expect(state.features(event(T0 + 41 * 60_000)).count_1h).toBe(42);
  });

  it('forgetAll leaves the state as if the forgotten records had never come', () => {
    const HOUR = 3_600_000;
    const arrival = fc.record({
      accountId: fc.constantFrom('acc-1', 'acc-2'),
      offset: fc.integer({ min: 0, max: 60 * HOUR }),
      cents: fc.integer({ min: 1, max: 100_000 }),
      destinationCountry: fc.constantFrom(null, 'ES', 'FR', 'DE'),
    });
    type Arrival = { accountId: string; offset: number; cents: number; destinationCountry: string | null };
    const toEvent = ({ offset, cents, ...rest }: Arrival) => event(T0 + offset, cents / 100, rest);
    fc.assert(
      fc.property(
        fc.array(arrival, { maxLength: 150 }),
        fc.array(arrival, { minLength: 1, maxLength: 40 }),
        fc.array(arrival, { minLength: 1, maxLength: 10 }),
        (seen, forgotten, later) => {
          const state = new VelocityState(30 * HOUR);
          const reference = new VelocityState(30 * HOUR);
          for (const a of seen) [state, reference].forEach((s) => s.record(toEvent(a)));
          state.forgetAll(forgotten.map((a) => state.record(toEvent(a))));
          expect(state.size).toBe(reference.size);
          for (const a of later) {
            expect(state.features(toEvent(a))).toEqual(reference.features(toEvent(a)));
            [state, reference].forEach((s) => s.record(toEvent(a)));
          }
        },
      ),
    );
  });

  it('agrees with a brute-force count for any arrival order', () => {
    const times = fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(times, (offsets) => {
        const state = new VelocityState();
        const seen: number[] = [];
        for (const offset of offsets) {
          const t = T0 + offset;
          const f = state.next(event(t));
          const expected = seen.filter((s) => s >= t - 60_000 && s <= t).length + 1;
          expect(f.count_60s).toBe(expected);
          expect(f.prior_transactions).toBe(seen.length);
          seen.push(t);
        }
      }),
    );
  });

  // Sums come from running totals, and the distinct destinations of windows of more than 32
  // events from per-country time lists, not from a scan of the window: checked against one,
  // for events in any order, some of them undone (a failed commit), with retention forgetting
  // the oldest (up to 150 events in 40 h, so 24 h windows hold dozens).
  it('agrees with a scan of the retained events for sums and destinations, in any order', () => {
    const HOUR = 3_600_000;
    const arrival = fc.record({
      offset: fc.integer({ min: 0, max: 40 * HOUR }),
      cents: fc.integer({ min: 1, max: 2_000_000 }),
      destination: fc.constantFrom(null, 'ES', 'FR', 'DE', 'PT'),
      undo: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(arrival, { minLength: 1, maxLength: 150 }), (arrivals) => {
        const retention = 30 * HOUR;
        const state = new VelocityState(retention);
        const kept: VelocityEvent[] = [];
        let newest = -Infinity;
        for (const { offset, cents, destination, undo } of arrivals) {
          const e = event(T0 + offset, cents / 100, { destinationCountry: destination });
          const f = state.features(e);
          const within = (length: number) =>
            kept.filter((k) => k.time >= e.time - length && k.time <= e.time);
          for (const [name, length] of [
            ['1h', HOUR],
            ['24h', 24 * HOUR],
          ] as const) {
            const window = within(length);
            expect(f[`count_${name}`]).toBe(window.length + 1);
            const cents24 = window.reduce((sum, k) => sum + Math.round(k.amount * 100), cents);
            expect(f[`sum_${name}`]).toBe(cents24 / 100);
          }
          const destinations = new Set([...within(24 * HOUR).map((k) => k.destinationCountry), destination]);
          destinations.delete(null);
          expect(f.distinct_destinations_24h).toBe(destinations.size);
          const recorded = state.record(e);
          if (undo) {
            state.forgetAll([recorded]); // as if it never came, retention included
            continue;
          }
          kept.push(e);
          newest = Math.max(newest, e.time);
          kept.splice(0, kept.length, ...kept.filter((k) => k.time >= newest - retention));
        }
      }),
    );
  });
});
