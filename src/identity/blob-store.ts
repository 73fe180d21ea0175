import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';

/** Opaque binary objects by key (`a/b/c`); one implementation per backend. */
export interface BlobStore {
  put(key: string, data: Uint8Array): Promise<void>;
  /** The object, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Whether there is an object under `key`. */
  exists(key: string): Promise<boolean>;
  /** Removes every object whose key starts with `prefix/` (and `prefix` itself). */
  deletePrefix(prefix: string): Promise<void>;
}

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Writes of one object tried while its folder keeps being removed under it. */
const PUT_ATTEMPTS = 3;

/** A {@link BlobStore} in a local folder: one file per object. */
export class LocalBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /**
   * Writes the object, creating its folder. A folder removed between the two (an erasure's
   * {@link deletePrefix} while a photo is enrolled) is created again: the write failed with
   * ENOENT, an enrollment answered 500, and the enrollment decides later whether its photo may
   * stay.
   */
  async put(key: string, data: Uint8Array): Promise<void> {
    const path = this.pathOf(key);
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(path, data, { mode: 0o600 });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || attempt === PUT_ATTEMPTS) throw error;
      }
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await access(this.pathOf(key));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  private pathOf(key: string): string {
    if (!KEY.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
      throw new RangeError(`bad blob key '${key}'`);
    }
    const path = join(this.root, key);
    if (!path.startsWith(this.root + sep)) throw new RangeError(`bad blob key '${key}'`);
    return path;
  }
}
