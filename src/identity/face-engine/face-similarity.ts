/** One point of a calibration curve: descriptors this far apart score `score`. */
export interface CalibrationAnchor {
  readonly distance: number;
  readonly score: number;
}

/** A logistic calibration: similarity = 100 / (1 + exp((distance − midpoint) / scale)). */
export interface LogisticCalibration {
  /** Distance scored 50. */
  readonly midpoint: number;
  /** Distance over which the score moves from 50 to ~73 (one logit unit). */
  readonly scale: number;
}

/**
 * Calibration of face-api's 128-d descriptor (landmark-aligned 150 px chips), fitted on
 * faces-dev (140 same-person, 1,000 different-person pairs; see CALIBRATION.md):
 * similarity = 100 / (1 + exp((d − 0.607) / 0.0482)), d = Euclidean distance.
 *
 * Two points fix it: 80 at d = 0.540, below the closest different-person pair measured
 * (0.545), so the false-match rate at 80 is 0 / 1,000; and 70 at d = 0.566, the
 * best-accuracy threshold (99.6 %). Then 90 ↔ d 0.501 and 99 ↔ d 0.386.
 */
export const FACEAPI_CALIBRATION = { midpoint: 0.607, scale: 0.0482 } as const satisfies LogisticCalibration;

/** Euclidean distance of two descriptors of the same length. */
export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`descriptor lengths differ: ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** Maps a descriptor distance to a similarity 0..100 (decreasing). */
export function scoreFromDistance(
  distance: number,
  calibration: LogisticCalibration = FACEAPI_CALIBRATION,
): number {
  return 100 / (1 + Math.exp((distance - calibration.midpoint) / calibration.scale));
}

/**
 * Calibrated similarity of two descriptors, 0..100 (higher = more alike). With the default
 * calibration, 80 keeps the false-match rate at or below 0.1 % on faces-dev.
 */
export function calibratedSimilarity(
  a: Float32Array,
  b: Float32Array,
  calibration: LogisticCalibration = FACEAPI_CALIBRATION,
): number {
  return scoreFromDistance(euclideanDistance(a, b), calibration);
}
