import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { FaceEngineError } from './face-engine.js';

/**
 * The faces-dev folder: `CENTINELA_FACES_DEV`, else `shared/data/faces-dev` beside the repo.
 * Tests that need it are skipped when it is missing.
 */
export function facesDevDir(): string | undefined {
  const fromEnv = process.env['CENTINELA_FACES_DEV'];
  const dir =
    fromEnv ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/faces-dev');
  return existsSync(resolve(dir, 'pairs.tsv')) ? dir : undefined;
}

/** A plain left-to-right gradient: an image with no face. */
export function gradientJpeg(width = 640, height = 480): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g"><stop offset="0" stop-color="#203040"/><stop offset="1" stop-color="#f0e0c0"/></linearGradient></defs>
    <rect width="${width}" height="${height}" fill="url(#g)"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

/** Two photos side by side on one canvas. */
export async function sideBySide(left: Buffer, right: Buffer): Promise<Buffer> {
  const [a, b] = await Promise.all([sharp(left).metadata(), sharp(right).metadata()]);
  const width = (a.width ?? 0) + (b.width ?? 0);
  const height = Math.max(a.height ?? 0, b.height ?? 0);
  return sharp({ create: { width, height, channels: 3, background: '#808080' } })
    .composite([
      { input: left, left: 0, top: 0 },
      { input: right, left: a.width ?? 0, top: 0 },
    ])
    .jpeg({ quality: 92 })
    .toBuffer();
}

/** A photo resized to fit, centred on a grey `width`×`height` canvas (a webcam-like frame). */
export function onCanvas(photo: Buffer, width = 640, height = 480, faceHeight = 400): Promise<Buffer> {
  return sharp(photo)
    .resize({ height: faceHeight })
    .extend({
      top: Math.floor((height - faceHeight) / 2),
      bottom: Math.ceil((height - faceHeight) / 2),
      left: Math.floor((width - faceHeight) / 2),
      right: Math.ceil((width - faceHeight) / 2),
      background: '#808080',
    })
    .jpeg({ quality: 90 })
    .toBuffer();
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/**
 * A decompression bomb: a valid 1×1 PNG of a few dozen bytes whose header claims
 * `width`×`height` pixels. Decoding it would need width × height × 3 bytes (or fail on the
 * missing data); a decoder that checks the header first refuses it at once.
 */
export async function pngBomb(width = 60_000, height = 60_000): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .png()
      .toBuffer(),
  );
  // Signature (8), IHDR length (4), "IHDR" (4), width (4), height (4), 5 more bytes, CRC (4).
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

/** The face-engine error code a promise rejects with; undefined when it resolves. */
export async function faceErrorCode(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof FaceEngineError ? error.code : `not a FaceEngineError: ${String(error)}`;
  }
}
