import sharp from 'sharp';
import type { Metadata } from 'sharp';
import { FaceEngineError } from './face-engine.js';

/** Limits checked before an image is decoded. */
export interface ImageLimits {
  /** Largest accepted file, in bytes. Default 5 MB. */
  readonly maxBytes: number;
  /** Largest accepted width × height, in pixels. Default 25 megapixels. */
  readonly maxPixels: number;
}

/** Default {@link ImageLimits}: 5 MB and 25 megapixels. */
export const DEFAULT_IMAGE_LIMITS = {
  maxBytes: 5 * 1024 * 1024,
  maxPixels: 25_000_000,
} as const satisfies ImageLimits;

/** A decoded image: packed 8-bit RGB, row-major, EXIF orientation applied. */
export interface RgbImage {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

const FORMATS = new Set(['jpeg', 'png', 'webp']);

/**
 * Checks the size and format from the header only, then decodes to RGB with EXIF rotation.
 * Throws `IMAGE_TOO_LARGE` or `INVALID_IMAGE`.
 */
export async function decodeImage(
  image: Buffer,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<RgbImage> {
  if (image.byteLength > limits.maxBytes) {
    throw new FaceEngineError(
      'IMAGE_TOO_LARGE',
      `Image is ${image.byteLength} bytes; the limit is ${limits.maxBytes}.`,
    );
  }
  const meta = await readMetadata(image);
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (pixels > limits.maxPixels) {
    throw new FaceEngineError(
      'IMAGE_TOO_LARGE',
      `Image has ${pixels} pixels; the limit is ${limits.maxPixels}.`,
    );
  }
  try {
    const { data, info } = await sharp(image, { limitInputPixels: limits.maxPixels, failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
    };
  } catch (cause) {
    throw new FaceEngineError('INVALID_IMAGE', 'The image could not be decoded.', { cause });
  }
}

async function readMetadata(image: Buffer): Promise<Metadata> {
  let meta: Metadata;
  try {
    meta = await sharp(image, { limitInputPixels: false }).metadata();
  } catch (cause) {
    throw new FaceEngineError('INVALID_IMAGE', 'The file is not a readable image.', { cause });
  }
  if (!meta.format || !FORMATS.has(meta.format) || !meta.width || !meta.height) {
    throw new FaceEngineError('INVALID_IMAGE', 'Only JPEG, PNG and WebP images are accepted.', {
      details: { format: meta.format ?? null },
    });
  }
  return meta;
}
