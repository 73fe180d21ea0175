import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test/helpers.js';
import { AppError } from '../errors.js';
import type { IdentityService } from './identity.service.js';
import { VerificationService } from './verification.service.js';

/** An identity service with one enrolled template whose engine fails with `failure`. */
function failingIdentity(failure: Error): IdentityService {
  const engine = {
    embed: () => Promise.reject(failure),
    liveness: () => Promise.reject(failure),
    similarity: () => 0,
  };
  return {
    threshold: () => 80,
    descriptorsOf: () => Promise.resolve([new Float32Array(128)]),
    deps: { engine, liveness: 'off', thresholds: { default: 80 } },
  } as unknown as IdentityService;
}

describe('VerificationService', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.destroy());

  it('logs an attempt that fails unexpectedly as rejected with reason INTERNAL', async () => {
    const failure = new RangeError('Invalid typed array length: 432000000');
    const service = new VerificationService(t.service.store.db, failingIdentity(failure), () =>
      Promise.resolve(0),
    );
    await expect(service.verify('u-internal', Buffer.from('x'), { actor: 'test' })).rejects.toBe(failure);
    const { items } = await service.list({ userId: 'u-internal', limit: 10 });
    expect(items).toEqual([
      expect.objectContaining({ result: 'rejected', reason: 'INTERNAL', actor: 'test' }),
    ]);
  });

  it('gives a refused attempt its verification_id, a user without a face too', async () => {
    const error = await t.service.identity.verifications
      .verify('u-nobody', Buffer.from('x'), { actor: 'test' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    const { code, details } = error as AppError;
    expect(code).toBe('NOT_ENROLLED');
    const id = (details as { verification_id: string }).verification_id;
    expect(await t.service.identity.verifications.get(id)).toMatchObject({ reason: 'NOT_ENROLLED' });
  });
});
