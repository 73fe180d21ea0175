import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fs from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalBlobStore } from './blob-store.js';

// The real file system, unless a test makes one write meet a folder removed under it.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return { ...real, writeFile: vi.fn(real.writeFile) };
});

describe('LocalBlobStore', () => {
  const root = mkdtempSync(join(tmpdir(), 'centinela-blobs-'));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores, reads and deletes objects by prefix, files readable by the owner only', async () => {
    const blobs = new LocalBlobStore(root);
    await blobs.put('faces/u1/a.bin', Buffer.from('one'));
    await blobs.put('faces/u1/b.bin', Buffer.from('two'));
    await blobs.put('faces/u2/a.bin', Buffer.from('three'));
    expect((await blobs.get('faces/u1/b.bin'))?.toString()).toBe('two');
    expect(await blobs.get('faces/u1/none.bin')).toBeUndefined();
    expect([await blobs.exists('faces/u1/b.bin'), await blobs.exists('faces/u1/none.bin')]).toEqual([
      true,
      false,
    ]);
    expect(statSync(join(root, 'faces/u1/a.bin')).mode & 0o777).toBe(0o600);
    await blobs.deletePrefix('faces/u1');
    expect(existsSync(join(root, 'faces/u1'))).toBe(false);
    expect(await blobs.exists('faces/u1/b.bin')).toBe(false);
    expect((await blobs.get('faces/u2/a.bin'))?.toString()).toBe('three');
  });

  it('writes an object whose folder an erasure removed between creating it and writing', async () => {
    const blobs = new LocalBlobStore(root);
    const real = (await vi.importActual<typeof fs>('node:fs/promises')).writeFile;
    vi.mocked(fs.writeFile).mockImplementationOnce(async (path, data, options) => {
      await blobs.deletePrefix('faces/u3'); // the erasure, after put's mkdir
      return real(path, data, options);
    });
    await blobs.put('faces/u3/a.bin', Buffer.from('kept'));
    expect((await blobs.get('faces/u3/a.bin'))?.toString()).toBe('kept');
  });

  it('refuses keys that could leave its folder', async () => {
    const blobs = new LocalBlobStore(root);
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/./b', '', 'a\\b']) {
      await expect(blobs.put(key, Buffer.from('x')), key).rejects.toThrow(RangeError);
    }
  });
});
