import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePairs } from '../evaluate.js';
import type { LabelledPair } from '../evaluate.js';
import { FaceEngineClient } from './face-engine-client.js';
import type { FaceEngine } from './face-engine.js';
import { LocalFaceEngine } from './local-face-engine.js';
import { faceErrorCode, facesDevDir, gradientJpeg, sideBySide } from './test-images.js';

const dataDir = facesDevDir();

/** Every {@link FaceEngine} implementation must pass this suite. */
const implementations: readonly [string, () => Promise<FaceEngine>][] = [
  ['FaceEngineClient (worker pool)', () => FaceEngineClient.start({ workers: 1 })],
  ['LocalFaceEngine (in-process)', () => LocalFaceEngine.create()],
];

describe.each(implementations)('%s', (_name, start) => {
  let engine: FaceEngine;
  beforeAll(async () => {
    engine = await start();
  });
  afterAll(async () => {
    await engine.close();
  });

  it('rejects a non-image and a corrupt file as INVALID_IMAGE', async () => {
    const jpeg = await gradientJpeg(64, 64);
    expect(await faceErrorCode(engine.embed(Buffer.from('%PDF-1.4 not an image')))).toBe('INVALID_IMAGE');
    expect(await faceErrorCode(engine.detect(jpeg.subarray(0, jpeg.length / 2)))).toBe('INVALID_IMAGE');
  });

  it('rejects an oversized image as IMAGE_TOO_LARGE', async () => {
    const big = await sharp({ create: { width: 5100, height: 5100, channels: 3, background: '#777' } })
      .png()
      .toBuffer();
    expect(await faceErrorCode(engine.embed(big))).toBe('IMAGE_TOO_LARGE');
  });

  it('finds no face in a plain gradient', async () => {
    const gradient = await gradientJpeg();
    expect(await engine.detect(gradient)).toEqual([]);
    expect(await faceErrorCode(engine.embed(gradient))).toBe('NO_FACE');
  });

  it('refuses a face smaller than 80 px', async () => {
    if (!dataDir) return;
    const photo = await readFile(join(dataDir, 'images/AJ_Cook/AJ_Cook_0001.jpg'));
    const small = await sharp(photo)
      .resize(100, 100)
      .extend({ top: 150, bottom: 150, left: 150, right: 150, background: '#808080' })
      .jpeg()
      .toBuffer();
    expect(await faceErrorCode(engine.embed(small))).toBe('FACE_TOO_SMALL');
  });

  it('refuses calls after close with ENGINE_CLOSED', async () => {
    const other = await start();
    await other.close();
    expect(await faceErrorCode(other.detect(await gradientJpeg(64, 64)))).toBe('ENGINE_CLOSED');
  });

  describe.skipIf(!dataDir)('on faces-dev photos', () => {
    const dir = dataDir ?? '';
    const photo = (path: string): Promise<Buffer> => readFile(join(dir, 'images', path));
    let pairs: LabelledPair[] = [];
    beforeAll(async () => {
      pairs = parsePairs(await readFile(join(dir, 'pairs.tsv'), 'utf8'));
    });

    it('refuses two faces side by side as MULTIPLE_FACES', async () => {
      const two = await sideBySide(
        await photo('AJ_Cook/AJ_Cook_0001.jpg'),
        await photo('Abdullatif_Sener/Abdullatif_Sener_0001.jpg'),
      );
      expect((await engine.detect(two)).length).toBeGreaterThanOrEqual(2);
      expect(await faceErrorCode(engine.embed(two))).toBe('MULTIPLE_FACES');
    });

    it('finds the centred subject when the first detector sees only a bystander at the edge', async () => {
      // The tiny detector finds only the woman at the right edge; the fallbacks find the subject.
      const faces = await engine.detect(
        await photo('Rebekah_Chantay_Revels/Rebekah_Chantay_Revels_0002.jpg'),
      );
      expect(faces.length).toBe(2);
      const centreX = (f: { box: { x: number; width: number } }) => f.box.x + f.box.width / 2;
      expect(centreX(faces[0]!)).toBeLessThan(0.6);
      expect(centreX(faces[1]!)).toBeGreaterThan(0.7);
    });

    it('reads photos much larger than the detectors look at, without running out of memory', async () => {
      // face-api pads its input to a square at full size: 6000 × 1000 needed a 432 MB array
      // and failed with a RangeError (500), after taking gigabytes.
      const image = await photo('AJ_Cook/AJ_Cook_0001.jpg');
      const grey = '#808080';
      const lost = await sharp(image)
        .extend({ left: 2875, right: 2875, top: 375, bottom: 375, background: grey })
        .jpeg()
        .toBuffer();
      expect([undefined, 'NO_FACE', 'FACE_TOO_SMALL']).toContain(await faceErrorCode(engine.embed(lost)));
      const large = await sharp(image)
        .resize(2000, 2000)
        .extend({ left: 2000, right: 2000, background: grey })
        .jpeg()
        .toBuffer();
      const [a, b] = await Promise.all([engine.embed(image), engine.embed(large)]);
      expect(b.quality.sizePx).toBeGreaterThan(500); // in the photo's pixels, not the detector's copy's
      expect(engine.similarity(a.descriptor, b.descriptor)).toBeGreaterThan(90);
    });

    it('gives the same descriptor for the same photo', async () => {
      const image = await photo('AJ_Cook/AJ_Cook_0001.jpg');
      const [a, b] = await Promise.all([engine.embed(image), engine.embed(image)]);
      expect(Array.from(b.descriptor)).toEqual(Array.from(a.descriptor));
      expect(a.descriptor.length).toBe(128);
      expect(engine.similarity(a.descriptor, b.descriptor)).toBeGreaterThan(99.99);
    });

    it('matches same-person pairs and separates different-person pairs (threshold 80)', async () => {
      const sample = [
        ...pairs.filter((p) => p.same).slice(0, 5),
        ...pairs.filter((p) => !p.same).slice(0, 5),
      ];
      for (const pair of sample) {
        const [a, b] = await Promise.all([
          engine.embed(await photo(pair.imageA)),
          engine.embed(await photo(pair.imageB)),
        ]);
        const score = engine.similarity(a.descriptor, b.descriptor);
        expect(score >= 80, `${pair.imageA} vs ${pair.imageB}: ${score.toFixed(1)}`).toBe(pair.same);
      }
    });

    it('scores a real photo as live', async () => {
      const result = await engine.liveness(await photo('AJ_Cook/AJ_Cook_0001.jpg'));
      expect(result.real).toBeGreaterThan(0);
      expect(result.live).toBeGreaterThan(0);
    });
  });
});
