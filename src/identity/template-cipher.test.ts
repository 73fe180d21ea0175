import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { loadConfig } from '../config.js';
import { decodeEncryptionKey, resolveEncryptionKey } from './encryption-key.js';
import type { FaceEngine } from './face-engine/face-engine.js';
import { LazyFaceEngine } from './lazy-face-engine.js';
import { TemplateCipher } from './template-cipher.js';

describe('TemplateCipher', () => {
  const cipher = new TemplateCipher(randomBytes(32));
  const descriptor = Float32Array.from({ length: 128 }, (_, i) => Math.sin(i) / 10);

  it('round-trips a descriptor and never stores its bytes in clear', () => {
    const sealed = cipher.sealDescriptor(descriptor, 'u1/t1');
    expect(Array.from(cipher.openDescriptor(sealed, 'u1/t1'))).toEqual(Array.from(descriptor));
    const plain = Buffer.from(descriptor.buffer);
    expect(Buffer.from(sealed.slice(3), 'base64').includes(plain.subarray(0, 8))).toBe(false);
    expect(cipher.sealDescriptor(descriptor, 'u1/t1')).not.toBe(sealed); // a fresh IV each time
  });

  it('refuses another context, a tampered value and another key', () => {
    const sealed = cipher.sealDescriptor(descriptor, 'u1/t1');
    expect(() => cipher.openDescriptor(sealed, 'u2/t1')).toThrow();
    const bytes = Buffer.from(sealed.slice(3), 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    expect(() => cipher.openDescriptor(`v1.${bytes.toString('base64')}`, 'u1/t1')).toThrow();
    expect(() => new TemplateCipher(randomBytes(32)).openDescriptor(sealed, 'u1/t1')).toThrow();
    expect(() => new TemplateCipher(randomBytes(16))).toThrow(RangeError);
  });
});

describe('encryption key', () => {
  it('accepts 64 hex digits or base64 of 32 bytes, nothing else', () => {
    const key = randomBytes(32);
    expect(decodeEncryptionKey(key.toString('hex'))?.equals(key)).toBe(true);
    expect(decodeEncryptionKey(key.toString('base64'))?.equals(key)).toBe(true);
    expect(decodeEncryptionKey(key.toString('base64url'))?.equals(key)).toBe(true);
    expect(decodeEncryptionKey('too-short')).toBeUndefined();
    expect(decodeEncryptionKey(randomBytes(31).toString('hex'))).toBeUndefined();
    expect(() => loadConfig({ CENTINELA_ENCRYPTION_KEY: 'nope' })).toThrow(/CENTINELA_ENCRYPTION_KEY/);
    expect(loadConfig({ CENTINELA_ENCRYPTION_KEY: key.toString('hex') }).encryptionKey).toBe(
      key.toString('hex'),
    );
  });

  it('generates a 0600 key file beside a SQLite database once, then reuses it', () => {
    const db = join(tempDir(), 'centinela.db');
    const warnings: string[] = [];
    const first = resolveEncryptionKey(undefined, db, (m) => warnings.push(m));
    expect(first?.source).toBe('generated');
    expect(warnings[0]).toMatch(/identity\.key/);
    expect(statSync(join(db, '..', 'identity.key')).mode & 0o777).toBe(0o600);
    const again = resolveEncryptionKey(undefined, db, (m) => warnings.push(m));
    expect(again?.source).toBe('file');
    expect(again?.key.equals(first?.key ?? Buffer.alloc(0))).toBe(true);
    expect(readFileSync(join(db, '..', 'identity.key'), 'utf8').trim()).toBe(first?.key.toString('hex'));
    expect(warnings).toHaveLength(1);
  });

  it('has no key for PostgreSQL unless configured', () => {
    expect(resolveEncryptionKey(undefined, undefined)).toBeUndefined();
    expect(resolveEncryptionKey(randomBytes(32).toString('hex'), undefined)?.source).toBe('env');
  });
});

describe('LazyFaceEngine', () => {
  it('starts on first use, retries after a failed start, and closes what it started', async () => {
    let starts = 0;
    let closed = 0;
    const fake = {
      model: 'x',
      detect: () => Promise.resolve([]),
      close: () => Promise.resolve(void closed++),
    };
    const lazy = new LazyFaceEngine(() =>
      ++starts === 1
        ? Promise.reject(new Error('no models'))
        : Promise.resolve(fake as unknown as FaceEngine),
    );
    expect(lazy.state).toBe('idle');
    await expect(lazy.detect(Buffer.alloc(1))).rejects.toThrow('no models');
    expect(lazy.state).toBe('failed');
    expect(await lazy.detect(Buffer.alloc(1))).toEqual([]);
    expect([lazy.state, starts]).toEqual(['ready', 2]);
    await lazy.close();
    expect([lazy.state, closed]).toEqual(['closed', 1]);
  });
});
