import { isAbsolute, join, normalize, sep } from 'node:path';
import { AppError, ValidationError } from '../errors.js';
import { readInputFile } from '../shared/read-input.js';
import type { FaceDescription, FaceEngine } from './face-engine/face-engine.js';
import { euclideanDistance } from './face-engine/face-similarity.js';
import { failureAbout } from './identity.view.js';

/** One line of a faces-dev `pairs.tsv`. */
export interface LabelledPair {
  readonly imageA: string;
  readonly imageB: string;
  readonly same: boolean;
}

/** Error rates at one similarity threshold (a pair matches when similarity ≥ threshold). */
export interface ThresholdRates {
  readonly threshold: number;
  /** Different-person pairs that matched / different-person pairs; null when there are none. */
  readonly falseMatchRate: number | null;
  /** Same-person pairs that did not match / same-person pairs; null when there are none. */
  readonly falseNonMatchRate: number | null;
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
  /** Pairs scored 0 because one of their photos has no face. */
  readonly noFacePairs: number;
  /** Accuracy (fraction 0..1) at the best similarity threshold, over all pairs as they come. */
  readonly accuracyAtBest: number | null;
  readonly bestThreshold: number | null;
  /**
   * Same-person and different-person pairs weighted equally, as in LFW's protocol (300 + 300
   * pairs a fold): 1 − (FMR + FNMR) / 2, 10-fold cross-validated (threshold chosen on 9
   * folds, measured on the 10th, stratified). faces-dev has 7 × more different-person pairs,
   * so {@link accuracyAtBest} flatters any engine; this is the figure to compare with LFW's.
   * Null unless the pairs hold both kinds (as are the best-threshold figures).
   */
  readonly balancedAccuracy: number | null;
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
  const pairs = text
    .split('\n')
    .map((line, i) => ({ line, number: i + 1 }))
    .slice(1)
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, number }) => {
      const [personA, imageA, personB, imageB, same] = line.split('\t').map((field) => field.trim());
      if (!personA || !imageA || !personB || !imageB || (same !== '0' && same !== '1')) {
        const message = `Line ${number} of the pairs file must be person_a, image_a, person_b, image_b and same (0 or 1), tab-separated.`;
        throw new ValidationError([{ field: 'pairs', code: 'format', message }], message);
      }
      return {
        imageA: insideImages(join(personA, imageA), number),
        imageB: insideImages(join(personB, imageB), number),
        same: same === '1',
      };
    });
  if (pairs.length === 0)
    throw new AppError('INPUT_INVALID', 'The pairs file has no pairs (a header line, then one pair a line).');
  return pairs;
}

/** An image path of a pairs line, refused when it leads out of the images folder (`..`, `/`). */
function insideImages(image: string, line: number): string {
  const path = normalize(image);
  if (!isAbsolute(path) && path !== '..' && !path.startsWith(`..${sep}`)) return path;
  const message = `Line ${line} of the pairs file names an image outside the images folder: ${image}.`;
  throw new ValidationError([{ field: 'pairs', code: 'format', message }], message);
}

/** Rates at one threshold over scored pairs. */
export function ratesAt(scored: readonly ScoredPair[], threshold: number): ThresholdRates {
  const same = scored.filter((p) => p.same);
  const diff = scored.filter((p) => !p.same);
  const falseMatches = diff.filter((p) => p.similarity >= threshold).length;
  const falseNonMatches = same.filter((p) => p.similarity < threshold).length;
  return {
    threshold,
    falseMatchRate: diff.length ? falseMatches / diff.length : null,
    falseNonMatchRate: same.length ? falseNonMatches / same.length : null,
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

/** 1 − (FMR + FNMR) / 2 at a threshold: both kinds of pair weigh the same (a kind absent counts no errors). */
export function balancedAccuracyAt(scored: readonly ScoredPair[], threshold: number): number {
  const rates = ratesAt(scored, threshold);
  return 1 - ((rates.falseMatchRate ?? 0) + (rates.falseNonMatchRate ?? 0)) / 2;
}

/**
 * The threshold with the highest balanced accuracy on `scored`: candidates lie midway between
 * consecutive scores, and of equally good ones the middle is taken, so a held-out pair just
 * beyond the training pairs is not decided by where the last training pair happened to fall.
 */
function bestBalancedThreshold(scored: readonly ScoredPair[]): number {
  const values = [...new Set(scored.map((p) => p.similarity))].sort((a, b) => a - b);
  const candidates = values.map((v, i) => (i === 0 ? v - 1 : (v + (values[i - 1] ?? v)) / 2));
  candidates.push((values[values.length - 1] ?? 0) + 1);
  const accuracies = candidates.map((t) => balancedAccuracyAt(scored, t));
  const best = Math.max(...accuracies);
  const tied = candidates.filter((_, i) => accuracies[i] === best);
  return tied[Math.floor(tied.length / 2)] ?? 0;
}

/**
 * LFW-style k-fold balanced accuracy: pairs dealt into `folds` folds (same and different
 * pairs separately, so the folds are stratified), each fold's pairs decided with the
 * threshold that is best on the other folds; then 1 − (FMR + FNMR) / 2 over all those
 * held-out decisions (pooled, so folds with few pairs do not skew it).
 */
export function crossValidatedBalancedAccuracy(scored: readonly ScoredPair[], folds = 10): number {
  const foldOf = new Map<ScoredPair, number>();
  for (const group of [scored.filter((p) => p.same), scored.filter((p) => !p.same)]) {
    group.forEach((pair, i) => foldOf.set(pair, i % folds));
  }
  const decided: ScoredPair[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const test = scored.filter((p) => foldOf.get(p) === fold);
    if (test.length === 0) continue;
    const threshold = bestBalancedThreshold(scored.filter((p) => foldOf.get(p) !== fold));
    // Re-scored as 1 (match) or 0 so that one threshold, 0.5, reads all folds' decisions.
    decided.push(...test.map((p) => ({ ...p, similarity: p.similarity >= threshold ? 1 : 0 })));
  }
  return balancedAccuracyAt(decided, 0.5);
}

/** Whether `scored` holds same-person and different-person pairs. */
function bothKinds(scored: readonly ScoredPair[]): boolean {
  return scored.some((p) => p.same) && scored.some((p) => !p.same);
}

/** The faces of a photo file; a photo the engine cannot read is refused naming the file. */
async function describeFile(engine: FaceEngine, file: string): Promise<FaceDescription> {
  const image = await readInputFile(file);
  try {
    return await engine.describe(image);
  } catch (error) {
    throw failureAbout(error, { file }, file);
  }
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
      const { faces } = await describeFile(engine, join(imagesDir, image));
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
  const pairs = parsePairs((await readInputFile(options.pairsFile)).toString('utf8'));
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
  const both = bothKinds(scored);
  return {
    pairs: pairs.length,
    noFace: noFaceImages.length,
    noFaceImages,
    noFacePairs: scored.filter((pair) => pair.distance === null).length,
    // With one kind of pair only, any threshold below every score (or above) is "perfect".
    accuracyAtBest: both ? best.accuracy : null,
    bestThreshold: both ? best.threshold : null,
    balancedAccuracy: both ? crossValidatedBalancedAccuracy(scored) : null,
    rates: (options.thresholds ?? [70, 80, 90, 99]).map((t) => ratesAt(scored, t)),
    scored,
  };
}
