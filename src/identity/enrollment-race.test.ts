import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { AuditLog } from '../audit/audit-log.service.js';
import { migrate, openStore } from '../store/database.js';
import type { BlobStore } from './blob-store.js';
import type { DescribedFace, FaceEngine } from './face-engine/face-engine.js';
import { IdentityService } from './identity.service.js';
import { templatesOf } from './identity.repository.js';
import { TemplateCipher } from './template-cipher.js';

/** A face engine whose face is the image's first byte: the same byte is the same person. */
function byteEngine(): FaceEngine {
  const face = (image: Buffer): DescribedFace => ({
    box: { x: 0, y: 0, width: 100, height: 100 },
    confidence: 1,
    quality: { sizePx: 100, sharpness: 30, brightness: 120, rollDeg: 0, yawDeg: 0, pitchDeg: 0 },
    descriptor: Float32Array.from([image[0] ?? 0]),
  });
  return {
    model: 'byte-1',
    embed: (image) => Promise.resolve(face(image)),
    similarity: (a, b) => (a[0] === b[0] ? 100 : 0),
    detect: () => Promise.reject(new Error('not used')),
    describe: () => Promise.reject(new Error('not used')),
    liveness: () => Promise.reject(new Error('not used')),
    close: () => Promise.resolve(),
  };
}

/** Photos kept in memory; the first put waits until `release` is called. */
function heldBlobs() {
  const kept = new Map<string, Uint8Array>();
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let first = true;
  const blobs: BlobStore = {
    async put(key, data) {
      const wait = first;
      first = false;
      if (wait) await held;
      kept.set(key, data);
    },
    get: (key) => Promise.resolve(kept.has(key) ? Buffer.from(kept.get(key) ?? []) : undefined),
    deletePrefix(prefix) {
      for (const key of kept.keys()) if (key === prefix || key.startsWith(`${prefix}/`)) kept.delete(key);
      return Promise.resolve();
    },
  };
  return { blobs, kept, release };
}

describe('enrollment of one user from two requests at once', () => {
  it('stores one person: the second face is checked against the first where it is stored', async () => {
    const store = openStore({ url: join(tempDir('centinela-enroll-race-'), 'c.db') });
    try {
      await migrate(store.db);
      const { blobs, kept, release } = heldBlobs();
      const cipher = new TemplateCipher(randomBytes(32));
      const identity = new IdentityService({
        db: store.db,
        engine: byteEngine(),
        cipher: () => cipher,
        blobs,
        keepPhotos: true,
        audit: new AuditLog(store.db),
        thresholds: { default: 80, min: 70, max: 99 },
        liveness: 'off',
      });
      // The first request is held between its check (no face enrolled yet) and its insert…
      const first = identity.enroll('gil', Buffer.from([1]), 'test');
      await new Promise((resolve) => setTimeout(resolve, 50));
      // …while the second, another person, is checked and stored.
      const second = await identity.enroll('gil', Buffer.from([2]), 'test');
      expect(second.templates).toBe(1);
      release();
      await expect(first).rejects.toMatchObject({ code: 'FACE_MISMATCH' });
      const stored = await templatesOf(store.db, 'gil');
      expect(stored.map((t) => t.id)).toEqual([second.template_id]);
      // The refused photo is not kept.
      expect([...kept.keys()]).toEqual([`${stored[0]?.photo_key}`]);
    } finally {
      await store.close();
    }
  });
});
