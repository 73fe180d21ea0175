import * as tf from '@tensorflow/tfjs';
import { geometryOf } from './face-aligner.js';
import type { Point } from './face-aligner.js';
import type { FaceApi } from './faceapi-models.js';

/** A face found by the detector, in pixels, with its 68 landmarks (iBUG 300-W order). */
export interface RawFace {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly score: number;
  readonly landmarks: readonly Point[];
}

/** One detection attempt; attempts run in order until one finds a face. */
export interface DetectionAttempt {
  readonly detector: 'ssd' | 'tiny';
  readonly minConfidence: number;
  /** Border added on each side, as a fraction of the longer side (helps faces cut by the edge). */
  readonly pad: number;
  /** Tiny detector input size (multiple of 32). */
  readonly inputSize?: number;
}

/**
 * Default attempts: the tiny detector at 416 px, then on an image padded by half its side
 * (faces cut by the edge), then SSD MobileNet at 0.3 on a padded image (~5× slower in WASM).
 * See CALIBRATION.md for what each choice is worth on faces-dev.
 */
export const DEFAULT_ATTEMPTS: readonly DetectionAttempt[] = [
  { detector: 'tiny', minConfidence: 0.5, pad: 0, inputSize: 416 },
  { detector: 'tiny', minConfidence: 0.4, pad: 0.5, inputSize: 320 },
  { detector: 'ssd', minConfidence: 0.3, pad: 0.25 },
];

/** The slower, SSD-first attempts (more robust boxes, ~5× the detection time). */
export const SSD_ATTEMPTS: readonly DetectionAttempt[] = [
  { detector: 'ssd', minConfidence: 0.5, pad: 0 },
  { detector: 'ssd', minConfidence: 0.2, pad: 0.25 },
  { detector: 'tiny', minConfidence: 0.4, pad: 0.5, inputSize: 320 },
];

/**
 * Finds faces with landmarks, main face first, trying each attempt in turn until one finds a
 * face near the centre. When an attempt finds only faces off-centre (often a bystander at
 * the edge while the subject was missed), the next attempts run too and all their faces are
 * pooled before the main face is chosen.
 */
export async function detectFaces(
  api: FaceApi,
  image: tf.Tensor3D,
  attempts: readonly DetectionAttempt[] = DEFAULT_ATTEMPTS,
  refine = true,
): Promise<RawFace[]> {
  const [h, w] = image.shape;
  const small = Math.max(h, w) > DETECTION_MAX_SIDE ? scaled(image) : image;
  const [sh, sw] = small.shape;
  const back = { x: w / sw, y: h / sh }; // per axis: each side was rounded on its own
  let pooled: RawFace[] = [];
  try {
    for (const attempt of attempts) {
      const found = (await runAttempt(api, small, attempt)).map((f) => unscaled(f, back));
      if (found.length === 0) continue;
      const faces = refine ? await Promise.all(found.map((f) => refineLandmarks(api, image, f))) : found;
      pooled = byProminence(suppressOverlaps([...pooled, ...faces.filter(isPlausible)]), w, h);
      if (pooled[0] && isCentred(pooled[0], w, h)) return pooled;
    }
  } finally {
    if (small !== image) small.dispose();
  }
  return pooled;
}

/**
 * Longer side, in pixels, of the image the detectors look at: a larger photo is scaled down
 * for detection (landmarks are then refined on the photo itself). face-api pads its input to
 * a square at full size, so a 6000 × 1000 photo needed a 432 MB buffer and failed, and a
 * 4000 × 1000 one took 3.7 GB. Both detectors shrink their input to 320–512 px anyway.
 */
export const DETECTION_MAX_SIDE = 1280;

/** `image` resized so its longer side is {@link DETECTION_MAX_SIDE}, at least one pixel each way. */
function scaled(image: tf.Tensor3D): tf.Tensor3D {
  const [h, w] = image.shape;
  const scale = DETECTION_MAX_SIDE / Math.max(h, w);
  const size: [number, number] = [Math.max(1, Math.round(h * scale)), Math.max(1, Math.round(w * scale))];
  // Without aligned corners, pixel i of the copy covers [i, i + 1) × the factor of the photo.
  return tf.tidy(() => tf.image.resizeBilinear(image, size, false));
}

/** A face found on a resized copy, in the pixels of the photo (`back`: photo / copy per axis). */
function unscaled(face: RawFace, back: { readonly x: number; readonly y: number }): RawFace {
  if (back.x === 1 && back.y === 1) return face;
  return {
    ...face,
    x: face.x * back.x,
    y: face.y * back.y,
    width: face.width * back.x,
    height: face.height * back.y,
    landmarks: face.landmarks.map((p) => ({ x: p.x * back.x, y: p.y * back.y })),
  };
}

/** Whether a face's centre lies in the middle half of the image, both ways. */
export function isCentred(face: RawFace, width: number, height: number): boolean {
  const dx = Math.abs(face.x + face.width / 2 - width / 2) / width;
  const dy = Math.abs(face.y + face.height / 2 - height / 2) / height;
  return dx <= 0.25 && dy <= 0.25;
}

/**
 * Drops detections whose landmarks do not form an upright-ish face: the low-confidence
 * fallbacks sometimes box a shoulder or background, and the landmark net then scatters
 * points (eye line tilted past 60°, mouth not below the eyes).
 */
export function isPlausible(face: RawFace): boolean {
  const g = geometryOf(face.landmarks);
  if (Math.abs(g.roll) > Math.PI / 3) return false;
  const eyes = Math.hypot(g.rightEye.x - g.leftEye.x, g.rightEye.y - g.leftEye.y);
  const mid = { x: (g.leftEye.x + g.rightEye.x) / 2, y: (g.leftEye.y + g.rightEye.y) / 2 };
  // Mouth distance below the eye line, along the face's own vertical axis (no upper bound:
  // in a profile the eyes are close together).
  const down = (g.mouth.y - mid.y) * Math.cos(g.roll) - (g.mouth.x - mid.x) * Math.sin(g.roll);
  return eyes > 0 && down > 0.3 * eyes;
}

/**
 * Orders faces main-first: by area, discounted up to half for distance from the image centre,
 * so a centred subject wins over a similar-sized face at the edge (a bystander).
 */
export function byProminence(faces: readonly RawFace[], width: number, height: number): RawFace[] {
  const prominence = (f: RawFace): number => {
    const dx = (f.x + f.width / 2 - width / 2) / (width / 2);
    const dy = (f.y + f.height / 2 - height / 2) / (height / 2);
    const off = Math.min(1, Math.hypot(dx, dy) / Math.SQRT2);
    return f.width * f.height * (1 - 0.5 * off);
  };
  return [...faces].sort((a, b) => prominence(b) - prominence(a));
}

/** Of two boxes sharing more than half of the smaller one, keeps the more confident. */
export function suppressOverlaps(faces: readonly RawFace[]): RawFace[] {
  const byScore = [...faces].sort((a, b) => b.score - a.score);
  const kept: RawFace[] = [];
  for (const face of byScore) {
    if (!kept.some((k) => overlapOfSmaller(k, face) > 0.5)) kept.push(face);
  }
  return kept;
}

function overlapOfSmaller(a: RawFace, b: RawFace): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / Math.min(a.width * a.height, b.width * b.height);
}

/**
 * Runs the landmark net again on a square crop centred on the first landmarks, so their
 * precision no longer depends on how tight the detector's box was.
 */
async function refineLandmarks(api: FaceApi, image: tf.Tensor3D, face: RawFace): Promise<RawFace> {
  const xs = face.landmarks.map((p) => p.x);
  const ys = face.landmarks.map((p) => p.y);
  const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const side = Math.round(Math.max(maxX - minX, maxY - minY) * 1.2);
  const x0 = Math.round((minX + maxX - side) / 2);
  const y0 = Math.round((minY + maxY - side) / 2);
  const crop = cropPadded(image, x0, y0, side);
  try {
    const result = await api.nets.faceLandmark68Net.detectLandmarks(crop);
    const marks = Array.isArray(result) ? result[0] : result;
    if (!marks) return face;
    return { ...face, landmarks: marks.positions.map((p) => ({ x: p.x + x0, y: p.y + y0 })) };
  } finally {
    crop.dispose();
  }
}

/** A `side`×`side` crop at (x0, y0); parts outside the image are grey. Only the crop is padded. */
function cropPadded(image: tf.Tensor3D, x0: number, y0: number, side: number): tf.Tensor3D {
  const [h, w] = image.shape;
  const [top, left] = [Math.min(side, Math.max(0, -y0)), Math.min(side, Math.max(0, -x0))];
  const [bottom, right] = [
    Math.min(side, Math.max(0, y0 + side - h)),
    Math.min(side, Math.max(0, x0 + side - w)),
  ];
  const inside = [Math.max(0, side - top - bottom), Math.max(0, side - left - right)] as const;
  if (inside[0] === 0 || inside[1] === 0) return tf.fill<tf.Rank.R3>([side, side, 3], 127, image.dtype);
  return tf.tidy(() => {
    const part = tf.slice(image, [Math.max(0, y0), Math.max(0, x0), 0], [inside[0], inside[1], 3]);
    return tf.pad(
      part,
      [
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      127,
    );
  });
}

async function runAttempt(api: FaceApi, image: tf.Tensor3D, attempt: DetectionAttempt): Promise<RawFace[]> {
  const [h, w] = image.shape;
  const border = Math.round(Math.max(h, w) * attempt.pad);
  const input =
    border > 0
      ? tf.pad(
          image,
          [
            [border, border],
            [border, border],
            [0, 0],
          ],
          127,
        )
      : image;
  try {
    const options =
      attempt.detector === 'ssd'
        ? new api.SsdMobilenetv1Options({ minConfidence: attempt.minConfidence, maxResults: 10 })
        : new api.TinyFaceDetectorOptions({
            scoreThreshold: attempt.minConfidence,
            inputSize: attempt.inputSize ?? 416,
          });
    const found = await api.detectAllFaces(input, options).withFaceLandmarks();
    return found.map((f) => ({
      x: f.detection.box.x - border,
      y: f.detection.box.y - border,
      width: f.detection.box.width,
      height: f.detection.box.height,
      score: f.detection.score,
      landmarks: f.landmarks.positions.map((p) => ({ x: p.x - border, y: p.y - border })),
    }));
  } finally {
    if (input !== image) input.dispose();
  }
}
