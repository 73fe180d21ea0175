import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { KEY_BYTES } from './encryption-key.js';

const VERSION = 'v1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for face templates and photos. Every sealed value carries its own random IV
 * and authentication tag; `context` (e.g. user and template id) is bound as associated data,
 * so a template copied to another user's row fails to open.
 *
 * @example
 * const sealed = cipher.sealDescriptor(face.descriptor, `${userId}/${templateId}`);
 * const descriptor = cipher.openDescriptor(sealed, `${userId}/${templateId}`);
 */
export class TemplateCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new RangeError(`the key must be ${KEY_BYTES} bytes`);
  }

  /** Encrypts bytes: IV | tag | ciphertext. */
  seal(plain: Uint8Array, context: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** Decrypts what {@link seal} made with the same `context`; throws when it was altered. */
  open(sealed: Uint8Array, context: string): Buffer {
    const data = Buffer.from(sealed);
    const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }

  /** A descriptor as stored text: `v1.` + base64 of the sealed float32 bytes. */
  sealDescriptor(descriptor: Float32Array, context: string): string {
    const bytes = new Uint8Array(descriptor.buffer, descriptor.byteOffset, descriptor.byteLength);
    return VERSION + this.seal(bytes, context).toString('base64');
  }

  /** The descriptor of a stored template. */
  openDescriptor(text: string, context: string): Float32Array {
    if (!text.startsWith(VERSION)) throw new Error('unknown template format');
    const plain = this.open(Buffer.from(text.slice(VERSION.length), 'base64'), context);
    const copy = new Uint8Array(plain.byteLength);
    copy.set(plain);
    return new Float32Array(copy.buffer);
  }
}
