import * as tf from '@tensorflow/tfjs';
import type { FaceQuality } from './face-engine.js';
import type { FaceGeometry, Point } from './face-aligner.js';

const DEG = 180 / Math.PI;

/** Thresholds below which a face is refused as `LOW_QUALITY` for verification. */
export interface QualityLimits {
  /** Least Laplacian variance of the aligned chip. Default 4 (faces-dev: median 32, 1st percentile 5.8). */
  readonly minSharpness: number;
  /** Largest |yaw| estimate in degrees. Default 60 (refuses ~1 % of faces-dev: near-profiles). */
  readonly maxYawDeg: number;
  /** Accepted mean-brightness range of the chip. Default 25..235. */
  readonly minBrightness: number;
  readonly maxBrightness: number;
}

/** Default {@link QualityLimits}, lenient: they refuse unusable photos, not merely poor ones. */
export const DEFAULT_QUALITY_LIMITS = {
  minSharpness: 4,
  maxYawDeg: 60,
  minBrightness: 25,
  maxBrightness: 235,
} as const satisfies QualityLimits;

/** Sharpness (variance of the 4-neighbour Laplacian) and mean brightness of a 0..255 RGB chip. */
export function chipStatistics(chip: tf.Tensor3D): { sharpness: number; brightness: number } {
  const [h, w] = chip.shape;
  const grey = tf.tidy(() => chip.mean(2)).dataSync();
  let sum = 0;
  let sumSq = 0;
  let total = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap =
        (grey[i - 1] ?? 0) +
        (grey[i + 1] ?? 0) +
        (grey[i - w] ?? 0) +
        (grey[i + w] ?? 0) -
        4 * (grey[i] ?? 0);
      sum += lap;
      sumSq += lap * lap;
    }
  }
  for (const v of grey) total += v;
  const n = (h - 2) * (w - 2);
  return { sharpness: sumSq / n - (sum / n) ** 2, brightness: total / grey.length };
}

function rotate(p: Point, angle: number): Point {
  const c = Math.cos(-angle);
  const s = Math.sin(-angle);
  return { x: p.x * c - p.y * s, y: p.x * s + p.y * c };
}

/**
 * Head pose estimates from landmark proportions in the roll-corrected frame: yaw from where
 * the nose tip sits between the eyes, pitch from where it sits between the eyes and mouth.
 * Rough (±15°), enough to refuse profile or strongly tilted faces.
 */
export function poseOf(geometry: FaceGeometry): { rollDeg: number; yawDeg: number; pitchDeg: number } {
  const [l, r, m, n] = [geometry.leftEye, geometry.rightEye, geometry.mouth, geometry.nose].map((p) =>
    rotate(p, geometry.roll),
  ) as [Point, Point, Point, Point];
  const across = (n.x - l.x) / (r.x - l.x || 1);
  const eyesY = (l.y + r.y) / 2;
  const down = (n.y - eyesY) / (m.y - eyesY || 1);
  const clamp = (v: number): number => Math.max(-1, Math.min(1, v));
  return {
    rollDeg: geometry.roll * DEG,
    yawDeg: Math.asin(clamp(2 * across - 1)) * DEG,
    pitchDeg: Math.asin(clamp((down - 0.62) * 2.5)) * DEG,
  };
}

/** Combines size, chip statistics and pose into a {@link FaceQuality}. */
export function qualityOf(sizePx: number, chip: tf.Tensor3D, geometry: FaceGeometry): FaceQuality {
  return { sizePx, ...chipStatistics(chip), ...poseOf(geometry) };
}

/** The reasons a face fails {@link QualityLimits}; empty when it passes. */
export function qualityProblems(q: FaceQuality, limits: QualityLimits = DEFAULT_QUALITY_LIMITS): string[] {
  const problems: string[] = [];
  if (q.sharpness < limits.minSharpness) problems.push('blurred');
  if (Math.abs(q.yawDeg) > limits.maxYawDeg) problems.push('turned away');
  if (q.brightness < limits.minBrightness) problems.push('too dark');
  if (q.brightness > limits.maxBrightness) problems.push('too bright');
  return problems;
}
