import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Bytes of an AES-256 key. */
export const KEY_BYTES = 32;

/**
 * Decodes `CENTINELA_ENCRYPTION_KEY`: 64 hex digits or the base64 (or base64url) of 32 bytes.
 * Returns undefined when the text is neither.
 */
export function decodeEncryptionKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed, 'base64');
  return bytes.length === KEY_BYTES ? bytes : undefined;
}

/** Where the key comes from, for the start-up message. */
export type KeySource = 'env' | 'file' | 'generated' | 'ephemeral';

/** The template key and how it was obtained. */
export interface ResolvedKey {
  readonly key: Buffer;
  readonly source: KeySource;
  /** The key file, for `file` and `generated`. */
  readonly path?: string;
}

/**
 * The key that encrypts face templates and photos:
 * - `CENTINELA_ENCRYPTION_KEY` when set;
 * - embedded mode (a SQLite file) without it: `identity.key` beside the database, generated
 *   (mode 0600) on first start with a warning: back it up with the database, or templates
 *   cannot be read again;
 * - an in-memory SQLite database: a throw-away key;
 * - PostgreSQL without it: undefined. Every process must share one key, so identity routes
 *   refuse with `IDENTITY_UNAVAILABLE` rather than invent one.
 */
export function resolveEncryptionKey(
  configured: string | undefined,
  sqlitePath: string | undefined,
  warn: (message: string) => void = (message) => console.warn(message),
): ResolvedKey | undefined {
  if (configured !== undefined) {
    const key = decodeEncryptionKey(configured);
    if (!key) throw new Error('CENTINELA_ENCRYPTION_KEY must be 32 bytes as hex or base64');
    return { key, source: 'env' };
  }
  if (sqlitePath === undefined) return undefined;
  if (sqlitePath === ':memory:' || sqlitePath === '')
    return { key: randomBytes(KEY_BYTES), source: 'ephemeral' };
  const path = join(dirname(sqlitePath), 'identity.key');
  if (existsSync(path)) {
    const key = decodeEncryptionKey(readFileSync(path, 'utf8'));
    if (!key) throw new Error(`${path} does not hold a 32-byte hex key`);
    return { key, source: 'file', path };
  }
  const key = randomBytes(KEY_BYTES);
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return resolveEncryptionKey(undefined, sqlitePath, warn);
    throw error;
  }
  chmodSync(path, 0o600);
  warn(
    `centinela: CENTINELA_ENCRYPTION_KEY is not set; generated a face-template key in ${path}. ` +
      'Back it up with the database (templates cannot be decrypted without it), or set CENTINELA_ENCRYPTION_KEY.',
  );
  return { key, source: 'generated', path };
}
