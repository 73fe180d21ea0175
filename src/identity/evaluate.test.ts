import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { formatEvaluation } from '../cli/face.command.js';
import { AppError } from '../errors.js';
import { FaceEngineError, type FaceEngine } from './face-engine/face-engine.js';
import type { ScoredPair } from './evaluate.js';
import {
  balancedAccuracyAt,
  bestAccuracy,
  crossValidatedBalancedAccuracy,
  evaluatePairs,
  parsePairs,
  ratesAt,
} from './evaluate.js';

const pair = (same: boolean, similarity: number): ScoredPair => ({
  imageA: 'a',
  imageB: 'b',
  same,
  similarity,
  distance: 0,
});

describe('evaluate helpers', () => {
  it('parses the faces-dev pairs format', () => {
    const text =
      'person_a\timage_a\tperson_b\timage_b\tsame\nAl\tAl_0001.jpg\tAl\tAl_0002.jpg\t1\nAl\tAl_0001.jpg\tBo\tBo_0001.jpg\t0\n';
    expect(parsePairs(text)).toEqual([
      { imageA: 'Al/Al_0001.jpg', imageB: 'Al/Al_0002.jpg', same: true },
      { imageA: 'Al/Al_0001.jpg', imageB: 'Bo/Bo_0001.jpg', same: false },
    ]);
  });

  it('refuses a malformed pairs line, naming it, and a file without pairs', () => {
    const header = 'person_a\timage_a\tperson_b\timage_b\tsame';
    expect(() => parsePairs(`${header}\nAl\tAl_0001.jpg\tAl\tAl_0002.jpg\t7`)).toThrow(
      /^Line 2 of the pairs file must be/,
    );
    expect(() => parsePairs(`${header}\n\nAl\tAl_0001.jpg`)).toThrow(/^Line 3 of the pairs file/);
    expect(() => parsePairs(`${header}\n`)).toThrow('The pairs file has no pairs');
  });

  it('refuses a pairs line whose image leads out of the images folder, naming the line', () => {
    const header = 'person_a\timage_a\tperson_b\timage_b\tsame';
    for (const line of [
      'Al\t../../../../etc/passwd\tAl\tAl_0002.jpg\t1',
      'Al\tAl_0001.jpg\t/etc\tpasswd\t0',
    ]) {
      expect(() => parsePairs(`${header}\n${line}`), line).toThrow(
        /^Line 2 of the pairs file names an image outside the images folder: /,
      );
    }
    // A name with dots that stays inside is read.
    expect(parsePairs(`${header}\nAl\t../Al/x..jpg\tAl\ty.jpg\t1`)[0]?.imageA).toBe('Al/x..jpg');
  });

  it('refuses a photo the engine cannot read as its own code, naming the file', async () => {
    const dir = tempDir('centinela-evaluate-');
    writeFileSync(
      join(dir, 'pairs.tsv'),
      'person_a\timage_a\tperson_b\timage_b\tsame\nAl\ta.jpg\tAl\tb.jpg\t1\n',
    );
    mkdirSync(join(dir, 'Al'));
    for (const name of ['a.jpg', 'b.jpg']) writeFileSync(join(dir, 'Al', name), 'not an image');
    const unreadable = (): Promise<never> =>
      Promise.reject(new FaceEngineError('INVALID_IMAGE', 'The image cannot be decoded.'));
    const engine: FaceEngine = {
      model: 'none',
      detect: unreadable,
      describe: unreadable,
      embed: unreadable,
      liveness: unreadable,
      similarity: () => 0,
      close: () => Promise.resolve(),
    };
    const failure = await evaluatePairs({ pairsFile: join(dir, 'pairs.tsv'), imagesDir: dir, engine }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(AppError);
    // The two photos are read at once: the failure names whichever failed first.
    const file = (failure as AppError & { details: { file: string } }).details.file;
    expect([join(dir, 'Al', 'a.jpg'), join(dir, 'Al', 'b.jpg')]).toContain(file);
    expect(failure).toMatchObject({
      code: 'INVALID_IMAGE',
      message: `${file}: The image cannot be decoded.`,
    });
  });

  it('computes false-match and false-non-match rates at a threshold', () => {
    const scored = [
      pair(true, 95),
      pair(true, 75),
      pair(false, 85),
      pair(false, 10),
      pair(false, 20),
      pair(false, 30),
    ];
    expect(ratesAt(scored, 80)).toEqual({
      threshold: 80,
      falseMatchRate: 0.25,
      falseNonMatchRate: 0.5,
      n_same: 2,
      n_diff: 4,
    });
  });

  it('gives no rate (null, printed n/a) for a kind of pair the file does not hold', () => {
    const sameOnly = [pair(true, 95), pair(true, 75)];
    expect(ratesAt(sameOnly, 80)).toMatchObject({ falseMatchRate: null, falseNonMatchRate: 0.5, n_diff: 0 });
    const report = formatEvaluation({
      pairs: 2,
      noFace: 0,
      noFaceImages: [],
      noFacePairs: 0,
      accuracyAtBest: null,
      bestThreshold: null,
      balancedAccuracy: null,
      rates: [ratesAt(sameOnly, 80)],
      scored: sameOnly,
    });
    expect(report).toMatch(/80 +n\/a \(0 pairs\) +50\.00 % \(1 \/ 2\)/);
    expect(report).toContain('best-threshold accuracy: n/a');
    expect(report).toContain(
      'balanced accuracy (same and different pairs weighted equally, 10-fold, LFW-style): n/a',
    );
  });

  it('finds the best-accuracy threshold', () => {
    const scored = [pair(true, 95), pair(true, 75), pair(false, 60), pair(false, 10)];
    expect(bestAccuracy(scored)).toEqual({ accuracy: 1, threshold: 75 });
  });

  it('weighs same and different pairs equally in the balanced accuracy', () => {
    // 1 of 2 same pairs missed, 0 of 8 different pairs matched: plain accuracy 90 %, balanced 75 %.
    const scored = [pair(true, 95), pair(true, 5), ...Array.from({ length: 8 }, () => pair(false, 10))];
    expect(bestAccuracy(scored).accuracy).toBe(0.9);
    expect(balancedAccuracyAt(scored, 80)).toBe(0.75);
  });

  it('cross-validates the balanced accuracy with the threshold chosen on the other folds', () => {
    const separable = [
      ...Array.from({ length: 20 }, (_, i) => pair(true, 80 + i)),
      ...Array.from({ length: 50 }, (_, i) => pair(false, i)),
    ];
    expect(crossValidatedBalancedAccuracy(separable)).toBe(1);
    // One same pair scored among the different ones can only be missed when held out.
    const overlap = [...separable, pair(true, 5)];
    expect(crossValidatedBalancedAccuracy(overlap)).toBeCloseTo(1 - 1 / 21 / 2, 10);
    // Fewer pairs than folds: empty folds are skipped.
    const few = [90, 85, 95].flatMap((s) => [pair(true, s), pair(false, s - 60)]);
    expect(crossValidatedBalancedAccuracy(few)).toBe(1);
  });
});
