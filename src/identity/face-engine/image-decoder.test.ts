import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './image-decoder.js';
import { faceErrorCode, pngBomb } from './test-images.js';

describe('decodeImage', () => {
  it('decodes a PNG to packed RGB', async () => {
    const png = await sharp({ create: { width: 4, height: 3, channels: 4, background: '#ff000080' } })
      .png()
      .toBuffer();
    const image = await decodeImage(png);
    expect(image).toMatchObject({ width: 4, height: 3 });
    expect(image.data.length).toBe(4 * 3 * 3);
  });

  it('decodes a WebP', async () => {
    const webp = await sharp({ create: { width: 10, height: 6, channels: 3, background: '#336699' } })
      .webp({ lossless: true })
      .toBuffer();
    const image = await decodeImage(webp);
    expect(image).toMatchObject({ width: 10, height: 6 });
    expect([...image.data.subarray(0, 3)]).toEqual([0x33, 0x66, 0x99]);
  });

  it('applies EXIF orientation', async () => {
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#123456' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    expect(await decodeImage(jpeg)).toMatchObject({ width: 20, height: 40 });
  });

  it('refuses a non-image as INVALID_IMAGE', async () => {
    expect(await faceErrorCode(decodeImage(Buffer.from('this is not an image')))).toBe('INVALID_IMAGE');
  });

  it('refuses a corrupt JPEG as INVALID_IMAGE', async () => {
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#888' } })
      .jpeg()
      .toBuffer();
    const corrupt = Buffer.concat([jpeg.subarray(0, 200), Buffer.alloc(50, 0xff)]);
    expect(await faceErrorCode(decodeImage(corrupt))).toBe('INVALID_IMAGE');
  });

  it('refuses formats other than JPEG, PNG and WebP', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .gif()
      .toBuffer();
    expect(await faceErrorCode(decodeImage(gif))).toBe('INVALID_IMAGE');
  });

  it('refuses more than 25 megapixels from the header, before decoding', async () => {
    const big = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: '#000' } })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(big.byteLength).toBeLessThan(5 * 1024 * 1024);
    expect(await faceErrorCode(decodeImage(big))).toBe('IMAGE_TOO_LARGE');
  });

  it('refuses a decompression bomb (90 bytes claiming 60,000 × 60,000 px) before decoding it', async () => {
    const bomb = await pngBomb(60_000, 60_000);
    expect(bomb.byteLength).toBeLessThan(200);
    expect(await faceErrorCode(decodeImage(bomb))).toBe('IMAGE_TOO_LARGE');
    // Let through to the decoder, the same file fails there (its pixel data is missing), so
    // the refusal above came from the header check.
    const unlimited = { maxBytes: 1e9, maxPixels: 1e12 };
    expect(await faceErrorCode(decodeImage(bomb, unlimited))).toBe('INVALID_IMAGE');
  });

  it('refuses files over 5 MB', async () => {
    expect(await faceErrorCode(decodeImage(Buffer.alloc(5 * 1024 * 1024 + 1)))).toBe('IMAGE_TOO_LARGE');
  });
});
