import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { facesDevDir } from '../src/identity/face-engine/test-images.js';

/**
 * faces-dev, or undefined when it is missing (identity tests then skip); under CI=true a
 * missing folder is an error, never a skip.
 */
export function requireFacesDev(): string | undefined {
  const dir = facesDevDir();
  if (!dir && process.env.CI === 'true')
    throw new Error('faces-dev is missing (CI=true): set CENTINELA_FACES_DEV');
  return dir;
}

/**
 * Photos picked from faces-dev for the API tests: each has one usable face that passes the
 * default liveness check, except `spoofScored` (a genuine photo the antispoof model scores
 * 0.47 < 0.5, used to exercise SPOOF_SUSPECTED).
 */
export const PHOTOS = {
  alice1: 'Alberto_Fujimori/Alberto_Fujimori_0001.jpg',
  alice2: 'Alberto_Fujimori/Alberto_Fujimori_0002.jpg',
  bob1: 'Barrett_Jackman/Barrett_Jackman_0001.jpg',
  bob2: 'Barrett_Jackman/Barrett_Jackman_0002.jpg',
  spoofScored: 'Adel_Al-Jubeir/Adel_Al-Jubeir_0003.jpg',
} as const;

export const photo = (dir: string, name: keyof typeof PHOTOS): Promise<Buffer> =>
  readFile(join(dir, 'images', PHOTOS[name]));

/** A multipart/form-data body (built by the platform's FormData) for `app.inject`; `moreFiles` may repeat a name. */
export async function multipart(
  files: Readonly<Record<string, Buffer>>,
  /** Text fields; as pairs to send one name twice. */
  fields: Readonly<Record<string, string>> | readonly (readonly [string, string])[] = {},
  moreFiles: readonly (readonly [string, Buffer])[] = [],
): Promise<{ payload: Buffer; headers: Record<string, string> }> {
  const form = new FormData();
  for (const [name, data] of [...Object.entries(files), ...moreFiles]) {
    form.append(name, new Blob([new Uint8Array(data)], { type: 'image/jpeg' }), `${name}.jpg`);
  }
  const pairs = Array.isArray(fields) ? fields : Object.entries(fields);
  for (const [name, value] of pairs) form.append(name, value);
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    payload: Buffer.from(await request.arrayBuffer()),
    headers: { 'content-type': request.headers.get('content-type') ?? '' },
  };
}
