import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradientJpeg } from '../src/identity/face-engine/test-images.js';
import { StepUpService } from '../src/identity/step-up.service.js';
import { availableDialects, createTestStore, type TestStore } from './dialects.js';
import { startTestService, tempDir, type TestService } from './helpers.js';
import { multipart, photo, requireFacesDev } from './identity-fixtures.js';

const dataDir = requireFacesDev();

// Step-up: the account holder's face resolves a transaction held for review.
describe.skipIf(!dataDir).each(await availableDialects())('transaction step-up on %s', (dialect) => {
  const dir = dataDir ?? '';
  let t: TestService;
  let store: TestStore;
  let alice2: Buffer;
  let bob2: Buffer;
  let hookId: string;

  // Days apart, so velocity rules never add to the HIGH_AMOUNT review.
  let day = 0;
  const reviewed = async (amount = 10000.01): Promise<string> => {
    const timestamp = new Date(Date.UTC(2026, 0, 1) + 3 * 86_400_000 * day++).toISOString();
    const res = await t.post({ account_id: 'acct-alice', amount, timestamp });
    return res.json().transaction_id as string;
  };
  const stepUp = (id: string, image: Buffer) =>
    t.request({
      method: 'POST',
      url: `/v1/transactions/${id}/verify-identity`,
      payload: { image_base64: image.toString('base64') },
    });
  const getTx = async (id: string) =>
    (await t.request({ method: 'GET', url: `/v1/transactions/${id}` })).json();

  beforeAll(async () => {
    store = await createTestStore(dialect);
    t = await startTestService(
      { databaseUrl: store.url, faceWorkers: 1, encryptionKey: randomBytes(32).toString('base64') },
      tempDir(),
    );
    alice2 = await photo(dir, 'alice2');
    bob2 = await photo(dir, 'bob2');
    const enrolled = await t.request({
      method: 'POST',
      url: '/v1/identities/acct-alice/faces',
      payload: { image_base64: (await photo(dir, 'alice1')).toString('base64') },
    });
    expect(enrolled.statusCode).toBe(201);
    hookId = (
      await t.service.webhooks.create(
        { url: 'http://127.0.0.1:9/hook', events: ['verification.failed', 'transaction.decline'] },
        'test',
      )
    ).id;
  });
  afterAll(async () => {
    await t.destroy();
    await store.drop();
  });

  it('approves a transaction in review when the face matches, and shows both steps', async () => {
    const id = await reviewed();
    expect((await getTx(id)).history).toMatchObject([{ type: 'decided', to_decision: 'review' }]);
    const res = await stepUp(id, alice2);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ transaction_id: id, decision: 'approve', verification: { match: true } });
    const tx = await getTx(id);
    expect(tx.decision.decision).toBe('approve');
    expect(tx.history).toEqual([
      expect.objectContaining({
        type: 'decided',
        from_decision: null,
        to_decision: 'review',
        verification_id: null,
      }),
      expect.objectContaining({
        type: 'step_up',
        from_decision: 'review',
        to_decision: 'approve',
        verification_id: body.verification.verification_id,
        actor: 'env-admin',
      }),
    ]);
    const logged = await t.request({
      method: 'GET',
      url: `/v1/verifications/${body.verification.verification_id}`,
    });
    expect(logged.json()).toMatchObject({ transaction_id: id, movement: 'step_up', result: 'match' });
    const replay = await t.post({ transaction_id: id, account_id: 'acct-alice', amount: 10000.01 });
    expect([replay.headers['idempotent-replayed'], replay.json().decision]).toEqual(['true', 'approve']);
    const again = await stepUp(id, alice2);
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'CONFLICT']);
  });

  it('tells the loser of two changes at once what the decision is now', async () => {
    const id = await reviewed();
    const change = { transactionId: id, type: 'step_up', from: 'review', actor: 'test' } as const;
    const results = await Promise.allSettled([
      t.service.transactions.changeDecision({ ...change, to: 'approve', verificationId: null }),
      t.service.transactions.changeDecision({ ...change, to: 'decline', verificationId: null }),
    ]);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(lost?.reason).toMatchObject({
      code: 'CONFLICT',
      details: { decision: won === 0 ? 'approve' : 'decline' },
    });
  });

  it('declines it when the face does not match (default), and emits verification.failed', async () => {
    const id = await reviewed();
    const form = await multipart({ image: bob2 });
    const res = await t.request({ method: 'POST', url: `/v1/transactions/${id}/verify-identity`, ...form });
    expect(res.json()).toMatchObject({ decision: 'decline', verification: { match: false } });
    const tx = await getTx(id);
    expect(tx.decision.decision).toBe('decline');
    expect(tx.history.map((h: { to_decision: string }) => h.to_decision)).toEqual(['review', 'decline']);
    const deliveries = (await t.service.webhooks.deliveries(hookId, { limit: 50 })).items;
    const payloads = deliveries.map((d) => (d.payload as { data: { transaction_id: string } }).data);
    expect(payloads).toContainEqual(expect.objectContaining({ transaction_id: id, result: 'no_match' }));
    // Subscribers to declines hear of this one too, as of the scorer's.
    const declines = deliveries.filter((d) => d.event === 'transaction.decline');
    expect(declines.map((d) => (d.payload as { data: unknown }).data)).toContainEqual(
      expect.objectContaining({
        transaction_id: id,
        decision: 'decline',
        step_up: { verification_id: res.json().verification.verification_id },
      }),
    );
  });

  it('keeps it in review on failure when configured so, until the last allowed failure declines it', async () => {
    const keep = new StepUpService(t.service.transactions, t.service.identity.verifications, {
      onFailure: 'review',
      maxFailures: 3,
    });
    const id = await reviewed();
    const result = await keep.stepUp(id, bob2, { actor: 'test' });
    expect([result.decision, result.attempts_left]).toEqual(['review', 2]);
    expect(result.history.map((h) => [h.type, h.from_decision, h.to_decision])).toEqual([
      ['decided', null, 'review'],
      ['step_up', 'review', 'review'],
    ]);
    expect((await stepUp(id, alice2)).json()).toMatchObject({ decision: 'approve', attempts_left: null });

    const tried = await reviewed();
    const decisions = [];
    for (let i = 0; i < 3; i++) {
      const { decision, attempts_left } = await keep.stepUp(tried, bob2, { actor: 'test' });
      decisions.push([decision, attempts_left]);
    }
    expect(decisions).toEqual([
      ['review', 2],
      ['review', 1],
      ['decline', null],
    ]);
    expect((await stepUp(tried, alice2)).statusCode).toBe(409); // no fourth try, even with the right face
  });

  it('declines at the limit even when failed step-ups are sent together', async () => {
    const keep = new StepUpService(t.service.transactions, t.service.identity.verifications, {
      onFailure: 'review',
      maxFailures: 3,
    });
    const id = await reviewed();
    const results = await Promise.allSettled(
      [1, 2, 3, 4].map(() => keep.stepUp(id, bob2, { actor: 'test' })),
    );
    const decisions = results.map((r) => (r.status === 'fulfilled' ? r.value.decision : 'CONFLICT'));
    // Each read "no failure yet" before its face check; counted under the row's lock, two stay
    // in review, the third declines and the fourth finds it no longer in review.
    expect(decisions.sort()).toEqual(['CONFLICT', 'decline', 'review', 'review']);
    expect((await getTx(id)).decision.decision).toBe('decline');
  });

  it('changes nothing when the photo cannot be checked; 409 when not in review; 404 when unknown', async () => {
    const id = await reviewed();
    const bad = await stepUp(id, await gradientJpeg());
    expect([bad.statusCode, bad.json().error.code]).toEqual([422, 'NO_FACE']);
    const tx = await getTx(id);
    expect(tx.decision.decision).toBe('review');
    expect(tx.history).toHaveLength(1);
    const approved = await reviewed(5);
    const conflict = await stepUp(approved, alice2);
    expect([conflict.statusCode, conflict.json().error.code]).toEqual([409, 'CONFLICT']);
    expect(conflict.json().error.details).toEqual({ decision: 'approve' });
    const unknown = await stepUp('no-such-tx', alice2);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'NOT_FOUND']);
  });
});
