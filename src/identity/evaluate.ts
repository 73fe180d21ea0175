import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FaceEngine } from './face-engine/face-engine.js';
import { euclideanDistance } from './face-engine/face-similarity.js';

/** One line of a faces-dev `pairs.tsv`. */
export interface LabelledPair {
  readonly imageA: string;
  readonly imageB: string;
  readonly same: boolean;
}

/** Error rates at one similarity threshold (a pair matches when similarity ≥ threshold). */
export interface ThresholdRates {
  readonly threshold: number;
  /** Different-person pairs that matched / different-person pairs. */
  readonly falseMatchRate: number;
  /** Same-person pairs that did not match / same-person pairs. */
  readonly falseNonMatchRate: number;
  readonly n_same: number;
  readonly n_diff: number;
}

/** A scored pair; `distance` is null when a photo had no face (scored as similarity 0). */
export interface ScoredPair extends LabelledPair {
  readonly similarity: number;
  readonly distance: number | null;
}

/** Result of {@link evaluatePairs}. */
export interface PairEvaluation {
  readonly pairs: number;
  /** Photos (not pairs) in which no face was found. */
  readonly noFace: number;
  readonly noFaceImages: readonly string[];
  /** Accuracy (fraction 0..1) at the best similarity threshold. */
  readonly accuracyAtBest: number;
  readonly bestThreshold: number;
  readonly rates: readonly ThresholdRates[];
  readonly scored: readonly ScoredPair[];
}

/** Options of {@link evaluatePairs}. */
export interface EvaluatePairsOptions {
  /** A faces-dev `pairs.tsv`: `person_a image_a person_b image_b same`, header line. */
  readonly pairsFile: string;
  /** Folder with `<Person>/<image>` photos. */
  readonly imagesDir: string;
  readonly engine: FaceEngine;
  /** Similarity thresholds to report. Default 70, 80, 90, 99. */
  readonly thresholds?: readonly number[];
  /** Photos described at once (match the engine's worker count). Default 2. */
  readonly concurrency?: number;
}

/** Parses a faces-dev `pairs.tsv` into image paths relative to the images folder. */
export function parsePairs(text: string): LabelledPair[] {
  return text
    .split('\n')
    .slice(1)
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [personA, imageA, personB, imageB, same] = line.split('\t');
      if (!personA || !imageA || !personB || !imageB || same === undefined)
        throw new Error(`bad pairs line: ${line}`);
      return { imageA: join(personA, imageA), imageB: join(personB, imageB), same: same.trim() === '1' };
    });
}

/** Rates at one threshold over scored pairs. */
export function ratesAt(scored: readonly ScoredPair[], threshold: number): ThresholdRates {
  const same = scored.filter((p) => p.same);
  const diff = scored.filter((p) => !p.same);
  const falseMatches = diff.filter((p) => p.similarity >= threshold).length;
  const falseNonMatches = same.filter((p) => p.similarity < threshold).length;
  return {
    threshold,
    falseMatchRate: diff.length ? falseMatches / diff.length : 0,
    falseNonMatchRate: same.length ? falseNonMatches / same.length : 0,
    n_same: same.length,
    n_diff: diff.length,
  };
}

/** The threshold with the highest accuracy; each distinct score is a candidate. */
export function bestAccuracy(scored: readonly ScoredPair[]): { accuracy: number; threshold: number } {
  let best = { accuracy: 0, threshold: 0 };
  for (const threshold of new Set(scored.map((p) => p.similarity))) {
    const correct = scored.filter((p) => p.similarity >= threshold === p.same).length;
    const accuracy = correct / scored.length;
    if (accuracy > best.accuracy) best = { accuracy, threshold };
  }
  return best;
}

async function describeAll(
  engine: FaceEngine,
  imagesDir: string,
  images: readonly string[],
  concurrency: number,
): Promise<Map<string, Float32Array | null>> {
  const descriptors = new Map<string, Float32Array | null>();
  let next = 0;
  const work = async (): Promise<void> => {
    for (let i = next++; i < images.length; i = next++) {
      const image = images[i] as string;
      const { faces } = await engine.describe(await readFile(join(imagesDir, image)));
      descriptors.set(image, faces[0]?.descriptor ?? null);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, work));
  return descriptors;
}

/**
 * Describes every photo of a labelled-pairs file once (main = largest face) and measures
 * verification accuracy: best-threshold accuracy, and false-match / false-non-match rates at
 * fixed similarity thresholds. A pair with a faceless photo scores 0 (a non-match).
 */
export async function evaluatePairs(options: EvaluatePairsOptions): Promise<PairEvaluation> {
  const pairs = parsePairs(await readFile(options.pairsFile, 'utf8'));
  const images = [...new Set(pairs.flatMap((p) => [p.imageA, p.imageB]))];
  const descriptors = await describeAll(options.engine, options.imagesDir, images, options.concurrency ?? 2);
  const scored = pairs.map((pair): ScoredPair => {
    const a = descriptors.get(pair.imageA);
    const b = descriptors.get(pair.imageB);
    if (!a || !b) return { ...pair, similarity: 0, distance: null };
    return { ...pair, similarity: options.engine.similarity(a, b), distance: euclideanDistance(a, b) };
  });
  const noFaceImages = images.filter((image) => !descriptors.get(image));
  const best = bestAccuracy(scored);
  return {
    pairs: pairs.length,
    noFace: noFaceImages.length,
    noFaceImages,
    accuracyAtBest: best.accuracy,
    bestThreshold: best.threshold,
    rates: (options.thresholds ?? [70, 80, 90, 99]).map((t) => ratesAt(scored, t)),
    scored,
  };
}
