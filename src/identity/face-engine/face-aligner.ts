import * as tf from '@tensorflow/tfjs';

/** A point in pixels of the decoded image. */
export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where the face lands in the aligned chip. */
export interface AlignTemplate {
  /** Chip side in pixels (150 for face-api's recognition net). */
  readonly size: number;
  /** Mean eye-to-mouth distance as a fraction of the chip side. */
  readonly eyeMouth: number;
  /** Vertical position of the eyes-and-mouth centroid, as a fraction of the side. */
  readonly centerY: number;
}

/**
 * dlib-style template (face-api's `alignDlib` proportions): the centroid of the eyes and
 * mouth at (0.5, 0.43), eye-to-mouth distance 0.45 of the side, eyes level.
 */
export const DEFAULT_TEMPLATE = { size: 150, eyeMouth: 0.45, centerY: 0.43 } as const satisfies AlignTemplate;

/** Key points derived from the 68 landmarks. */
export interface FaceGeometry {
  readonly leftEye: Point;
  readonly rightEye: Point;
  readonly mouth: Point;
  readonly nose: Point;
  /** Eye-line angle in radians (positive = clockwise in image coordinates). */
  readonly roll: number;
}

function mean(points: readonly Point[]): Point {
  const sum = points.reduce((acc, p) => ({ x: acc.x + p.x, y: acc.y + p.y }), { x: 0, y: 0 });
  return { x: sum.x / points.length, y: sum.y / points.length };
}

function at(landmarks: readonly Point[], i: number): Point {
  const p = landmarks[i];
  if (!p) throw new Error(`landmark ${i} missing`);
  return p;
}

/** Eye, mouth and nose centres and the roll angle from 68 landmarks. */
export function geometryOf(landmarks: readonly Point[]): FaceGeometry {
  const leftEye = mean(landmarks.slice(36, 42));
  const rightEye = mean(landmarks.slice(42, 48));
  const mouth = mean(landmarks.slice(48, 68));
  return {
    leftEye,
    rightEye,
    mouth,
    nose: at(landmarks, 30),
    roll: Math.atan2(rightEye.y - leftEye.y, rightEye.x - leftEye.x),
  };
}

const dist = (a: Point, b: Point): number => Math.hypot(a.x - b.x, a.y - b.y);

/**
 * The projective-transform row (tf.image.transform's 8 numbers) that maps chip pixels to
 * image pixels: a rotation by the roll angle, a scale from the eye-to-mouth distance and a
 * translation that puts the eyes-and-mouth centroid at the template position.
 */
export function alignmentTransform(
  geometry: FaceGeometry,
  template: AlignTemplate = DEFAULT_TEMPLATE,
): number[] {
  const { leftEye, rightEye, mouth, roll } = geometry;
  const eyeMouth = (dist(leftEye, mouth) + dist(rightEye, mouth)) / 2;
  const s = eyeMouth / (template.eyeMouth * template.size);
  const centre = mean([leftEye, rightEye, mouth]);
  const u0 = 0.5 * template.size;
  const v0 = template.centerY * template.size;
  const cos = Math.cos(roll) * s;
  const sin = Math.sin(roll) * s;
  return [cos, -sin, centre.x - (cos * u0 - sin * v0), sin, cos, centre.y - (sin * u0 + cos * v0), 0, 0];
}

/** Crops and rotates the face into a `size`×`size` float chip (0..255), eyes level. */
export function alignFace(
  image: tf.Tensor3D,
  landmarks: readonly Point[],
  template: AlignTemplate = DEFAULT_TEMPLATE,
): tf.Tensor3D {
  const transform = alignmentTransform(geometryOf(landmarks), template);
  return tf.tidy(() => {
    const batch = tf.cast(image, 'float32').expandDims<tf.Tensor4D>(0);
    const chip = tf.image.transform(batch, tf.tensor2d([transform]), 'bilinear', 'nearest', 0, [
      template.size,
      template.size,
    ]);
    return chip.squeeze<tf.Tensor3D>([0]);
  });
}
