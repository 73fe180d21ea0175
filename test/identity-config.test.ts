import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { gradientJpeg } from '../src/identity/face-engine/test-images.js';
import { availableDialects, createTestStore } from './dialects.js';
import { startTestService, tempDir } from './helpers.js';

const dialects = await availableDialects();

describe('identity configuration', () => {
  it('reads the most failed step-ups a transaction may take, 3 by default, and refuses one below 1', () => {
    expect(loadConfig({}).stepUpMaxFailures).toBe(3);
    expect(loadConfig({ CENTINELA_STEP_UP_MAX_FAILURES: '5' }).stepUpMaxFailures).toBe(5);
    expect(() => loadConfig({ CENTINELA_STEP_UP_MAX_FAILURES: '0' })).toThrow(
      /CENTINELA_STEP_UP_MAX_FAILURES/,
    );
  });

  it('answers 503 ENGINE_BUSY with Retry-After when the face queue is full', async () => {
    const t = await startTestService({ faceWorkers: 1, faceMaxQueue: 0 });
    try {
      const image = (await gradientJpeg(64, 64)).toString('base64');
      const res = await t.request({
        method: 'POST',
        url: '/v1/identities/u/faces',
        payload: { image_base64: image },
      });
      expect([res.statusCode, res.json().error.code]).toEqual([503, 'ENGINE_BUSY']);
      expect(res.headers['retry-after']).toBe('1');
    } finally {
      await t.destroy();
    }
  }, 60_000);

  it.skipIf(!dialects.includes('postgres'))(
    'refuses identity routes on PostgreSQL without CENTINELA_ENCRYPTION_KEY, before starting the engine',
    async () => {
      const store = await createTestStore('postgres');
      const t = await startTestService({ databaseUrl: store.url, faceWorkers: 1 }, tempDir());
      try {
        const image = (await gradientJpeg(64, 64)).toString('base64');
        const res = await t.request({
          method: 'POST',
          url: '/v1/identities/u/faces',
          payload: { image_base64: image },
        });
        expect([res.statusCode, res.json().error.code]).toEqual([503, 'IDENTITY_UNAVAILABLE']);
        expect(res.json().error.message).toContain('CENTINELA_ENCRYPTION_KEY');
        const verify = await t.request({
          method: 'POST',
          url: '/v1/identities/u/verify',
          payload: { image_base64: image },
        });
        expect(verify.json().error.code).toBe('IDENTITY_UNAVAILABLE');
        expect(t.service.identity.engine.state).toBe('idle');
        const erased = await t.request({ method: 'DELETE', url: '/v1/identities/u' });
        expect(erased.json()).toEqual({ user_id: 'u', templates_deleted: 0 });
      } finally {
        await t.destroy();
        await store.drop();
      }
    },
  );
});
