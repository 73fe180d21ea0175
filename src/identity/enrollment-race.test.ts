import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { AuditLog } from '../audit/audit-log.service.js';
import { migrate, openStore, type Store } from '../store/database.js';
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

/**
 * Photos kept in memory; the first call of `holdAt` (a put once it has stored its photo)
 * waits until `release` is called, and `reached` resolves when it starts waiting.
 */
function heldBlobs(holdAt: 'put' | 'exists') {
  const kept = new Map<string, Uint8Array>();
  let release = () => undefined as void;
  let arrived = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (arrived = resolve));
  let first = true;
  const hold = async (method: typeof holdAt) => {
    if (method !== holdAt || !first) return;
    first = false;
    arrived();
    await held;
  };
  const blobs: BlobStore = {
    async put(key, data) {
      kept.set(key, data);
      await hold('put');
    },
    get: (key) => Promise.resolve(kept.has(key) ? Buffer.from(kept.get(key) ?? []) : undefined),
    async exists(key) {
      await hold('exists');
      return kept.has(key);
    },
    deletePrefix(prefix) {
      for (const key of kept.keys()) if (key === prefix || key.startsWith(`${prefix}/`)) kept.delete(key);
      return Promise.resolve();
    },
  };
  return { blobs, kept, release, reached };
}

/** Runs `test` with an identity service on a fresh SQLite store that keeps photos in `blobs`. */
async function withIdentity(
  blobs: BlobStore,
  test: (identity: IdentityService, db: Store['db']) => Promise<void>,
): Promise<void> {
  const store = openStore({ url: join(tempDir('centinela-enroll-race-'), 'c.db') });
  try {
    await migrate(store.db);
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
    await test(identity, store.db);
  } finally {
    await store.close();
  }
}

describe('enrollment of one user from two requests at once', () => {
  it('stores one person: the second face is checked against the first where it is stored', async () => {
    const { blobs, kept, release, reached } = heldBlobs('put');
    await withIdentity(blobs, async (identity, db) => {
      // The first request is held between its check (no face enrolled yet) and its insert…
      const first = identity.enroll('gil', Buffer.from([1]), 'test');
      await reached;
      // …while the second, another person, is checked and stored.
      const second = await identity.enroll('gil', Buffer.from([2]), 'test');
      expect(second.templates).toBe(1);
      release();
      await expect(first).rejects.toMatchObject({ code: 'FACE_MISMATCH' });
      const stored = await templatesOf(db, 'gil');
      expect(stored.map((t) => t.id)).toEqual([second.template_id]);
      // The refused photo is not kept.
      expect([...kept.keys()]).toEqual([`${stored[0]?.photo_key}`]);
    });
  });
});

describe('erasure of a user during an enrollment', () => {
  it('refuses an enrollment whose photo was erased before it was stored: nothing is left', async () => {
    const { blobs, kept, release, reached } = heldBlobs('put');
    await withIdentity(blobs, async (identity, db) => {
      const enrolling = identity.enroll('gil', Buffer.from([1]), 'test');
      await reached; // its photo is written, its template not yet
      expect(await identity.erase('gil', 'test')).toEqual({ user_id: 'gil', templates_deleted: 0 });
      release();
      await expect(enrolling).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await templatesOf(db, 'gil')).toEqual([]);
      expect([...kept.keys()]).toEqual([]);
    });
  });

  it('waits for an enrollment being stored, then removes it with its photo', async () => {
    const { blobs, kept, release, reached } = heldBlobs('exists');
    await withIdentity(blobs, async (identity, db) => {
      const enrolling = identity.enroll('gil', Buffer.from([1]), 'test');
      await reached; // inside the enrollment's locked section
      let erased = false;
      const erasing = identity.erase('gil', 'test').finally(() => (erased = true));
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      expect(erased).toBe(false);
      release();
      expect((await enrolling).templates).toBe(1);
      expect(await erasing).toEqual({ user_id: 'gil', templates_deleted: 1 });
      expect(await templatesOf(db, 'gil')).toEqual([]);
      expect([...kept.keys()]).toEqual([]);
    });
  });
});
