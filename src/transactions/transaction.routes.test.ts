import type { LightMyRequestResponse } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { availableDialects, serviceForSuite } from '../../test/dialects.js';
import type { TestService } from '../../test/helpers.js';
import { activateRuleSet, insertRuleSet } from '../rules/rule-set.repository.js';

/** The fields a 400 VALIDATION_FAILED answer lists, or the status and code it has instead. */
function invalidFieldsOf(res: LightMyRequestResponse): unknown {
  const { error } = res.json();
  if (res.statusCode !== 400 || error?.code !== 'VALIDATION_FAILED') return [res.statusCode, error?.code];
  return error.details.map((d: { field: string }) => d.field);
}

// The storage suite: the whole API against every store dialect.
describe.each(await availableDialects())('transactions API on %s', (dialect) => {
  const service = serviceForSuite(dialect);
  let t: TestService;
  beforeAll(() => {
    t = service();
  });

  const T0 = Date.UTC(2026, 5, 1, 12);
  const at = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();
  let nextAccount = 0;
  const account = () => `acct-${++nextAccount}`;

  describe('POST /v1/transactions', () => {
    it('answers a decision with reasons, features and versions', async () => {
      const res = await t.post({ account_id: account(), amount: 10000.01, timestamp: at(0) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        decision: 'review',
        risk_score: 50,
        fraud_probability: null,
        rules_version: 1,
        model_version: null,
      });
      expect(body.reasons).toEqual([
        { code: 'HIGH_AMOUNT', rule_id: 'HIGH_AMOUNT', message: 'Amount above 10,000.', severity: 'high' },
      ]);
      expect(body.features).toMatchObject({ count_60s: 1, prior_transactions: 0, hour_of_day: 12 });
      expect(typeof body.latency_ms).toBe('number');
    });

    it('approves 10000 exactly', async () => {
      const res = await t.post({ account_id: account(), amount: 10000, timestamp: at(0) });
      expect(res.json()).toMatchObject({ decision: 'approve', reasons: [] });
    });

    it('flags the 4th transaction of an account within 60 s, not the 3rd', async () => {
      const id = account();
      const decisions: string[] = [];
      for (const offset of [0, 20_000, 40_000, 60_000]) {
        decisions.push((await t.post({ account_id: id, amount: 5, timestamp: at(offset) })).json().decision);
      }
      expect(decisions).toEqual(['approve', 'approve', 'approve', 'review']);
      const fifth = await t.post({ account_id: id, amount: 5, timestamp: at(100_001) });
      expect(fifth.json().features.count_60s).toBe(2);
    });

    it('counts an out-of-order arrival only for later decisions and its own past', async () => {
      const id = account();
      await t.post({ account_id: id, amount: 5, timestamp: at(50_000) });
      const late = (await t.post({ account_id: id, amount: 5, timestamp: at(0) })).json();
      expect(late.features).toMatchObject({ count_60s: 1, prior_transactions: 1 });
      const after = (await t.post({ account_id: id, amount: 5, timestamp: at(55_000) })).json();
      expect(after.features).toMatchObject({ count_60s: 3, seconds_since_previous: 5 });
    });

    it('replays a decided id with the same body and never counts it twice', async () => {
      const id = account();
      const body = { transaction_id: `tx-${id}`, account_id: id, amount: 7, timestamp: at(0) };
      const first = await t.post(body);
      const again = await t.post(body);
      expect(again.statusCode).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect(again.json()).toEqual(first.json());
      const [x, y] = await Promise.all([t.post(body), t.post(body)]);
      expect(x?.json()).toEqual(first.json());
      expect(y?.json()).toEqual(first.json());
      const next = await t.post({ account_id: id, amount: 7, timestamp: at(1000) });
      expect(next.json().features).toMatchObject({ count_60s: 2, prior_transactions: 1 });
    });

    it('does not apply LOW_BALANCE without a balance', async () => {
      const without = await t.post({ account_id: account(), amount: 9000, timestamp: at(0) });
      expect(without.json().decision).toBe('approve');
      const withBalance = await t.post({
        account_id: account(),
        amount: 9000,
        balance: 9000,
        timestamp: at(0),
      });
      expect(withBalance.json().reasons.map((r: { code: string }) => r.code)).toEqual(['LOW_BALANCE']);
    });

    it('answers 400 listing every invalid field', async () => {
      const res = await t.post({ user_id: '', amount: -3, currency: 'dollars', origin_country: 'Spain' });
      expect(invalidFieldsOf(res)).toEqual(['user_id', 'amount', 'currency', 'origin_country']);
    });

    it('answers 400 for unknown currency and country codes and impossible dates', async () => {
      const res = await t.post({
        account_id: account(),
        amount: 5,
        currency: 'QQQ',
        origin_country: 'QQ',
        destination_country: 'ZZ',
        timestamp: '2026-02-31T00:00:00Z',
      });
      expect(invalidFieldsOf(res)).toEqual([
        'currency',
        'timestamp',
        'origin_country',
        'destination_country',
      ]);
      const lower = await t.post({ account_id: account(), amount: 5, currency: 'usd', origin_country: 'xk' });
      expect(lower.statusCode).toBe(200);
    });

    it('answers 400 for broken JSON, 413 for bodies over 1 MiB, 415 for non-JSON', async () => {
      const headers = { 'content-type': 'application/json' };
      const broken = await t.request({
        method: 'POST',
        url: '/v1/transactions',
        payload: '{"amount": ',
        headers,
      });
      expect([broken.statusCode, broken.json().error.code]).toEqual([400, 'INVALID_JSON']);
      const big = JSON.stringify({ account_id: 'a', amount: 1, pad: 'x'.repeat(1_100_000) });
      const tooLarge = await t.request({ method: 'POST', url: '/v1/transactions', payload: big, headers });
      expect([tooLarge.statusCode, tooLarge.json().error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const text = await t.request({
        method: 'POST',
        url: '/v1/transactions',
        payload: 'amount=1',
        headers: { 'content-type': 'text/plain' },
      });
      expect([text.statusCode, text.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    });

    it('answers 400 INVALID_JSON naming a __proto__ or constructor.prototype key as the reason', async () => {
      const headers = { 'content-type': 'application/json' };
      for (const payload of [
        '{"account_id":"a","amount":1,"__proto__":{"x":1}}',
        '{"account_id":"a","amount":1,"constructor":{"prototype":{"x":1}}}',
      ]) {
        const res = await t.request({ method: 'POST', url: '/v1/transactions', payload, headers });
        expect([res.statusCode, res.json().error.code]).toEqual([400, 'INVALID_JSON']);
        expect(res.json().error.message).toContain('__proto__ or constructor.prototype key');
      }
      const broken = await t.request({ method: 'POST', url: '/v1/transactions', payload: '{"a":', headers });
      expect(broken.json().error.message).toBe('The body is not valid JSON.');
    });

    it('answers 400 INVALID_JSON for a body that is not UTF-8, so two ids never decode to one', async () => {
      const headers = { 'content-type': 'application/json' };
      const bodyWithId = (idByte: number) =>
        Buffer.concat([
          Buffer.from('{"transaction_id":"utf-'),
          Buffer.from([idByte]),
          Buffer.from(`","account_id":"${account()}","amount":1}`),
        ]);
      for (const byte of [0xff, 0xfe]) {
        const res = await t.request({
          method: 'POST',
          url: '/v1/transactions',
          payload: bodyWithId(byte),
          headers,
        });
        expect([res.statusCode, res.json().error.code]).toEqual([400, 'INVALID_JSON']);
        expect(res.json().error.message).toMatch(/UTF-8/);
      }
      // Valid UTF-8 outside ASCII (and an escaped U+FFFD) is read as sent.
      const accented = await t.post({ transaction_id: 'utf-ñ-\ufffd-€', account_id: account(), amount: 1 });
      expect([accented.statusCode, accented.json().transaction_id]).toEqual([200, 'utf-ñ-\ufffd-€']);
    });
  });

  describe('authentication', () => {
    it('answers 401 without a key or with an unknown one', async () => {
      const none = await t.service.app.inject({ method: 'GET', url: '/v1/transactions' });
      expect([none.statusCode, none.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
      const wrong = await t.request({
        method: 'GET',
        url: '/v1/transactions',
        headers: { 'x-api-key': 'cnt_nope' },
      });
      expect(wrong.statusCode).toBe(401);
    });

    it('answers 403 without the scope, 200 with it, by header or bearer', async () => {
      const reader = await t.service.keys.create({ name: 'reader', scopes: ['transactions:read'] });
      const write = await t.request({
        method: 'POST',
        url: '/v1/transactions',
        payload: { account_id: 'a', amount: 1 },
        headers: { 'x-api-key': reader.key },
      });
      expect([write.statusCode, write.json().error.code]).toEqual([403, 'FORBIDDEN']);
      const read = await t.service.app.inject({
        method: 'GET',
        url: '/v1/transactions',
        headers: { authorization: `Bearer ${reader.key}` },
      });
      expect(read.statusCode).toBe(200);
    });

    it('stops accepting a revoked key at once', async () => {
      const key = await t.service.keys.create({ name: 'temp', scopes: ['transactions:read'] });
      const headers = { 'x-api-key': key.key };
      expect((await t.request({ method: 'GET', url: '/v1/transactions', headers })).statusCode).toBe(200);
      const revoke = await t.request({ method: 'DELETE', url: `/v1/keys/${key.id}` });
      expect(revoke.statusCode).toBe(204);
      expect((await t.request({ method: 'GET', url: '/v1/transactions', headers })).statusCode).toBe(401);
    });

    it('keeps health open', async () => {
      expect((await t.service.app.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect((await t.service.app.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready' });
    });
  });

  describe('reading transactions', () => {
    it('GET by id finds a transaction whose id has the longest length accepted, 128', async () => {
      const transaction_id = 'l'.repeat(127) + account().slice(-1);
      expect((await t.post({ transaction_id, account_id: account(), amount: 3 })).statusCode).toBe(200);
      const res = await t.request({ method: 'GET', url: `/v1/transactions/${transaction_id}` });
      expect(res.statusCode).toBe(200);
      expect(res.json().transaction_id).toBe(transaction_id);
    });

    it('GET by id shows the transaction, its payload and decision; 404 when unknown', async () => {
      const id = account();
      await t.post({
        transaction_id: `get-${id}`,
        account_id: id,
        amount: 3,
        extra_field: 'kept',
        timestamp: at(0),
      });
      const res = await t.request({ method: 'GET', url: `/v1/transactions/get-${id}` });
      expect(res.json()).toMatchObject({
        status: 'decided',
        transaction: { account_id: id, amount: 3, timestamp: at(0) },
        payload: { extra_field: 'kept' },
        decision: { decision: 'approve' },
      });
      const missing = await t.request({ method: 'GET', url: '/v1/transactions/nope' });
      expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'NOT_FOUND']);
    });

    it('lists a filtered page with a cursor', async () => {
      const id = account();
      for (let i = 0; i < 5; i++)
        await t.post({ account_id: id, amount: i === 4 ? 20000 : 1, timestamp: at(i * 120_000) });
      const page1 = (await t.request({ url: `/v1/transactions?account_id=${id}&limit=3` })).json();
      expect(page1.items).toHaveLength(3);
      const page2 = (
        await t.request({ url: `/v1/transactions?account_id=${id}&limit=3&cursor=${page1.next_cursor}` })
      ).json();
      expect(page2.items).toHaveLength(2);
      expect(page2.next_cursor).toBeNull();
      const reviews = (await t.request({ url: `/v1/transactions?account_id=${id}&decision=review` })).json();
      expect(reviews.items.map((i: { transaction: { amount: number } }) => i.transaction.amount)).toEqual([
        20000,
      ]);
      const ranged = (
        await t.request({ url: `/v1/transactions?account_id=${id}&from=${at(100_000)}&to=${at(250_000)}` })
      ).json();
      expect(ranged.items).toHaveLength(2);
      for (const url of ['/v1/transactions', '/v1/audit', '/v1/verifications']) {
        const reversed = await t.request({ url: `${url}?from=${at(250_000)}&to=${at(100_000)}` });
        expect([reversed.statusCode, reversed.json().error.details], url).toEqual([
          400,
          [
            expect.objectContaining({
              field: 'querystring.from',
              code: 'range',
              message: 'from must not be after to.',
            }),
          ],
        ]);
      }
      const bad = await t.request({ url: '/v1/transactions?limit=0&decision=maybe' });
      expect(bad.statusCode).toBe(400);
      expect(
        bad
          .json()
          .error.details.map((d: { field: string }) => d.field)
          .sort(),
      ).toEqual(['querystring.decision', 'querystring.limit']);
      // AJV coerces 1e309 to Infinity and lets it past `maximum` (found by the API fuzzer).
      const infinite = await t.request({ url: '/v1/transactions?limit=1e309' });
      expect([infinite.statusCode, infinite.json().error.details[0].field]).toEqual([
        400,
        'querystring.limit',
      ]);
      // An unknown parameter or body field is named, and said to be unknown.
      // A query escape that is not UTF-8 is refused as one in a path is; a good one is read.
      const undecodable = await t.request({ url: '/v1/transactions?account_id=%FF' });
      expect([undecodable.statusCode, undecodable.json().error.code]).toEqual([400, 'BAD_REQUEST']);
      expect((await t.request({ url: '/v1/transactions?account_id=%C3%A9+x' })).statusCode).toBe(200);
      // A route that reads no query parameter refuses one too (it was ignored: no paging here).
      const typo = await t.request({
        method: 'POST',
        url: '/v1/transactions?mdoe=async',
        payload: { account_id: 'q', amount: 1 },
      });
      expect([typo.statusCode, typo.json().error.details[0].field]).toEqual([400, 'querystring.mdoe']);
      for (const url of ['/v1/keys?limit=abc', '/v1/rules?x=1', '/v1/models?foo=1']) {
        const res = await t.request({ url });
        expect([res.statusCode, res.json().error.details[0].code], url).toEqual([
          400,
          'additionalProperties',
        ]);
      }
      const unknown = await t.request({ url: '/v1/transactions?acount_id=a' });
      expect(unknown.json().error.details).toEqual([
        {
          field: 'querystring.acount_id',
          code: 'additionalProperties',
          message: 'querystring.acount_id is not a known field',
        },
      ]);
      await t.post({ transaction_id: 'to-label', account_id: 'a', amount: 1 });
      const extra = await t.request({
        method: 'POST',
        url: '/v1/transactions/to-label/label',
        payload: { label: 'fraud', lable: 'x' },
      });
      expect(extra.json().error.details[0]).toMatchObject({ field: 'lable', code: 'additionalProperties' });
      const huge = await t.request({ url: '/v1/structuring/runs?offset=9223372036854776000' });
      expect([huge.statusCode, huge.json().error.details[0].field]).toEqual([400, 'querystring.offset']);
    });
  });

  describe('POST /v1/transactions/:id/label', () => {
    it('stores a label only if it is still the one the analyst saw, when told which', async () => {
      const id = `label-${account()}`;
      await t.post({ transaction_id: id, account_id: account(), amount: 1 });
      const label = (payload: object) =>
        t.request({ method: 'POST', url: `/v1/transactions/${id}/label`, payload });
      const first = await label({ label: 'fraud', expected_label: null });
      expect([first.statusCode, first.json().label.label]).toEqual([200, 'fraud']);
      // A second analyst who also saw no label is told who labelled it meanwhile.
      const late = await label({ label: 'legit', expected_label: null });
      expect(late.statusCode).toBe(409);
      expect(late.json().error).toMatchObject({
        code: 'CONFLICT',
        message: expect.stringMatching(
          new RegExp(`^Transaction '${id}' is labelled fraud by .+, not no label as expected`),
        ),
        details: {
          label: 'fraud',
          labelled_by: expect.any(String),
          labelled_at: first.json().label.labelled_at,
        },
      });
      const stale = await label({ label: 'fraud', expected_label: 'legit' });
      expect([stale.statusCode, stale.json().error.details.label]).toEqual([409, 'fraud']);
      expect((await t.request({ url: `/v1/transactions/${id}` })).json().label.label).toBe('fraud');
      const changed = await label({ label: 'legit', expected_label: 'fraud' });
      expect([changed.statusCode, changed.json().label.label]).toEqual([200, 'legit']);
      // Without expected_label the latest label wins, as before.
      const latest = await label({ label: 'fraud' });
      expect([latest.statusCode, latest.json().label.label]).toEqual([200, 'fraud']);
      const bad = await label({ label: 'fraud', expected_label: 'maybe' });
      expect([bad.statusCode, bad.json().error.details[0].field]).toEqual([400, 'expected_label']);
    });
  });

  describe('async ingestion', () => {
    it('answers 202 once stored; the transaction is pending, then decided in order', async () => {
      const id = account();
      const body = { transaction_id: `async-${id}`, account_id: id, amount: 10001, timestamp: at(0) };
      const res = await t.request({ method: 'POST', url: '/v1/transactions?mode=async', payload: body });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({ transaction_id: `async-${id}`, status: 'pending' });
      await t.service.transactions.idle();
      const stored = (await t.request({ url: `/v1/transactions/async-${id}` })).json();
      expect(stored).toMatchObject({
        status: 'decided',
        decision: { decision: 'review', features: { count_60s: 1 } },
      });
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      const again = await t.request({ method: 'POST', url: '/v1/transactions?mode=async', payload: body });
      expect(again.json()).toEqual({ transaction_id: `async-${id}`, status: 'decided' });
      expect(again.headers['idempotent-replayed']).toBe('true');
      const sync = (await t.post({ account_id: id, amount: 1, timestamp: at(1000) })).json();
      expect(sync.features).toMatchObject({ count_60s: 2, prior_transactions: 1 });
    });

    it('accepts a burst together: an id sent twice is stored and counted once, each decided once', async () => {
      const id = account();
      const post = (i: number) =>
        t.request({
          method: 'POST',
          url: '/v1/transactions?mode=async',
          payload: {
            transaction_id: `burst-${id}-${i}`,
            account_id: id,
            amount: 5 + i,
            timestamp: at(i * 1000),
          },
        });
      const sent = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 3, 7, 3];
      const answers = await Promise.all(sent.map(post));
      expect(answers.map((a) => a.statusCode)).toEqual(sent.map(() => 202));
      // The first copy of each id is new; later copies are replays and say so.
      expect(answers.map((a) => a.headers['idempotent-replayed'])).toEqual(
        sent.map((i, k) => (sent.indexOf(i) < k ? 'true' : undefined)),
      );
      await t.service.transactions.idle();
      const { items } = (await t.request({ url: `/v1/transactions?account_id=${id}&limit=50` })).json();
      expect(items).toHaveLength(10);
      expect(items.every((i: { status: string }) => i.status === 'decided')).toBe(true);
      const last = items.find((i: { transaction_id: string }) => i.transaction_id === `burst-${id}-9`);
      expect(last.decision.features).toMatchObject({ prior_transactions: 9, count_1h: 10 });
      expect((await post(3)).json()).toEqual({ transaction_id: `burst-${id}-3`, status: 'decided' });
    });

    it('rejects an unknown mode', async () => {
      const res = await t.request({
        method: 'POST',
        url: '/v1/transactions?mode=later',
        payload: { account_id: 'a', amount: 1 },
      });
      expect([res.statusCode, res.json().error.details[0].field]).toEqual([400, 'querystring.mode']);
    });
  });

  describe('prototype-compatible routes', () => {
    it('POST /transaction answers 202 and GET /transaction/:id the prototype shape', async () => {
      const res = await t.request({
        method: 'POST',
        url: '/transaction',
        payload: {
          user_id: 'u-legacy',
          amount: 15000,
          merchant: 'm',
          merchant_type: 'online',
          device_type: 'mobile',
          location_match: 1,
        },
      });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ status: 'Transaction received' });
      await t.service.transactions.idle();
      const got = await t.request({ url: `/transaction/${res.json().transaction_id}` });
      expect(got.json()).toEqual({
        transaction_id: res.json().transaction_id,
        amount: 15000,
        status: 'decided',
        is_fraud: true,
        probability: 0.5,
        model_version: null,
      });
      expect(res.headers['idempotent-replayed']).toBeUndefined();
      // The id again with another body: nothing new is stored, and the header says so.
      const again = await t.request({
        method: 'POST',
        url: '/transaction',
        payload: { user_id: 'someone-else', amount: 5, transaction_id: res.json().transaction_id },
      });
      expect([again.statusCode, again.headers['idempotent-replayed']]).toEqual([202, 'true']);
      expect((await t.request({ url: `/transaction/${res.json().transaction_id}` })).json().amount).toBe(
        15000,
      );
    });
  });

  describe('rules through the API', () => {
    it('shows the set in use, and the version marked active that it refused', async () => {
      const current = (await t.request({ url: '/v1/rules' })).json();
      expect(current).not.toHaveProperty('refused');
      // Written to the store by another process (by hand, or before a grammar change).
      const [first] = current.document.rules;
      const broken = { ...current.document, rules: [{ ...first, condition: 'amount >> 5' }] };
      const version = await insertRuleSet(t.service.store.db, {
        name: 'hand',
        document: JSON.stringify(broken),
        createdBy: 'test',
        activate: true,
        now: Date.now(),
      });
      await expect(t.service.rules.refresh()).rejects.toMatchObject({ code: 'RULESET_INVALID' });
      expect((await t.request({ url: '/v1/rules' })).json()).toMatchObject({
        version: current.version,
        active: false,
        refused: {
          version,
          message: expect.stringContaining(`The active rule set v${version} cannot be evaluated`),
        },
      });
      // Made active again by another process (the CLI): read at the next refresh.
      await activateRuleSet(t.service.store.db, current.version, Date.now());
      await t.service.rules.refresh();
      expect((await t.request({ url: '/v1/rules' })).json()).not.toHaveProperty('refused');
    });

    it('validates, saves a version and uses it at once', async () => {
      const current = (await t.request({ url: '/v1/rules' })).json();
      const stricter = {
        ...current.document,
        rules: current.document.rules.map((r: { id: string }) =>
          r.id === 'HIGH_AMOUNT' ? { ...r, condition: 'amount > 500' } : r,
        ),
      };
      const check = await t.request({
        method: 'POST',
        url: '/v1/rules/validate',
        payload: { rules: [{ id: 'X' }] },
      });
      expect(check.json().valid).toBe(false);
      const invalid = await t.request({
        method: 'POST',
        url: '/v1/rules',
        payload: { rules: [{ id: 'X', condition: 'amount >>' }] },
      });
      expect([invalid.statusCode, invalid.json().error.code]).toEqual([400, 'RULESET_INVALID']);
      const saved = await t.request({ method: 'POST', url: '/v1/rules', payload: stricter });
      expect(saved.statusCode).toBe(201);
      const decision = (await t.post({ account_id: account(), amount: 600, timestamp: at(0) })).json();
      expect(decision).toMatchObject({ decision: 'review', rules_version: saved.json().version });
      await t.request({ method: 'POST', url: `/v1/rules/versions/${current.version}/activate` });
      expect((await t.post({ account_id: account(), amount: 600, timestamp: at(0) })).json().decision).toBe(
        'approve',
      );
    });

    it('declines what the deny lists name, approves the allow list, and declines at the decline threshold', async () => {
      const current = (await t.request({ url: '/v1/rules' })).json();
      const lists = {
        deny_accounts: ['acc-denied'],
        deny_merchants: ['shop-denied'],
        deny_countries: ['KP'],
        allow_accounts: ['acc-vip'],
        allow_merchants: ['shop-trusted'],
        allow_countries: ['US', 'CA'],
      };
      const saved = await t.request({
        method: 'POST',
        url: '/v1/rules',
        payload: { ...current.document, lists },
      });
      expect(saved.statusCode).toBe(201);
      const decide = async (body: Record<string, unknown>) =>
        (await t.post({ amount: 20, timestamp: at(0), ...body })).json<{
          decision: string;
          risk_score: number;
          reasons: { rule_id: string }[];
        }>();
      const firstReason = async (body: Record<string, unknown>) => {
        const d = await decide(body);
        return [d.decision, d.reasons[0]?.rule_id];
      };
      expect(await firstReason({ account_id: 'acc-denied' })).toEqual(['decline', 'DENY_ACCOUNT']);
      expect(await firstReason({ account_id: account(), merchant_id: 'shop-denied' })).toEqual([
        'decline',
        'DENY_MERCHANT',
      ]);
      expect(
        await firstReason({ account_id: account(), origin_country: 'KP', destination_country: 'KP' }),
      ).toEqual(['decline', 'DENY_COUNTRY']);
      expect((await decide({ account_id: account() })).decision).toBe('approve');
      const vip = await decide({ account_id: 'acc-vip', amount: 50_000 });
      expect(vip.decision).toBe('approve');
      expect(vip.reasons.map((r) => r.rule_id)).toContain('HIGH_AMOUNT');
      const trustedShop = await decide({
        account_id: account(),
        merchant_id: 'shop-trusted',
        amount: 50_000,
      });
      expect([trustedShop.decision, trustedShop.reasons.map((r) => r.rule_id).sort()]).toEqual([
        'approve',
        ['ALLOW_MERCHANT', 'HIGH_AMOUNT'],
      ]);
      // Allowed only when every country named is on the list; a deny list still wins.
      const corridor = {
        account_id: account(),
        amount: 50_000,
        origin_country: 'US',
        destination_country: 'CA',
      };
      expect(await decide(corridor)).toMatchObject({ decision: 'approve' });
      expect((await decide({ ...corridor, account_id: account(), destination_country: 'MX' })).decision).toBe(
        'review',
      );
      expect((await decide({ account_id: account(), amount: 50_000, origin_country: 'US' })).decision).toBe(
        'approve',
      );
      expect((await decide({ account_id: account(), amount: 50_000 })).decision).toBe('review');
      expect((await decide({ account_id: 'acc-denied', merchant_id: 'shop-trusted' })).decision).toBe(
        'decline',
      );

      // No rule declines on its own, but together they pass the decline threshold (90).
      const risky = await decide({
        account_id: account(),
        amount: 20_000,
        balance: 20_500,
        origin_country: 'US',
        destination_country: 'MX',
      });
      expect(risky.reasons.map((r) => r.rule_id).sort()).toEqual([
        'CROSS_BORDER',
        'HIGH_AMOUNT',
        'LOW_BALANCE',
      ]);
      expect(risky.risk_score).toBeGreaterThanOrEqual(90);
      expect(risky.decision).toBe('decline');
      const below = await decide({ account_id: account(), amount: 20_000 });
      expect([below.decision, below.risk_score < 90]).toEqual(['review', true]);
      await t.request({ method: 'POST', url: `/v1/rules/versions/${current.version}/activate` });
    });
  });
});
