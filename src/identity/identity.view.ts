import { AppError, withDetails, type ErrorCode } from '../errors.js';
import type { DetectedFace, FaceBox, FaceQuality, LivenessResult } from './face-engine/face-engine.js';
import { FaceEngineError } from './face-engine/face-engine.js';
import type { VerificationRow } from './identity.repository.js';

/** A box as the API shows it: fractions of the image width and height, CompareFaces-style. */
export interface BoundingBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A face as the API shows it. */
export interface FaceView {
  readonly bounding_box: BoundingBox;
  readonly confidence: number;
}

/** A face's quality measures as the API shows them. */
export interface QualityView {
  readonly size_px: number;
  readonly sharpness: number;
  readonly brightness: number;
  readonly roll_deg: number;
  readonly yaw_deg: number;
  readonly pitch_deg: number;
}

/** A face with its quality measures. */
export interface QualifiedFaceView extends FaceView {
  readonly quality: QualityView;
}

/** One verification attempt as `GET /v1/verifications/:id` shows it. No biometric data. */
export interface VerificationView {
  readonly verification_id: string;
  readonly user_id: string;
  readonly result: VerificationRow['result'];
  readonly match: boolean;
  readonly similarity: number | null;
  readonly threshold: number;
  readonly reason: string | null;
  readonly movement: string | null;
  readonly transaction_id: string | null;
  readonly request_id: string | null;
  readonly actor: string;
  readonly at: string;
  readonly latency_ms: number;
}

const round = (value: number, digits = 4): number => Number(value.toFixed(digits));

function boxView(box: FaceBox): BoundingBox {
  return { left: round(box.x), top: round(box.y), width: round(box.width), height: round(box.height) };
}

/** Box and detector confidence of a face. */
export function faceView(face: DetectedFace): FaceView {
  return { bounding_box: boxView(face.box), confidence: round(face.confidence) };
}

/** Quality measures, rounded, with the API's names. */
export function qualityView(q: FaceQuality): QualityView {
  return {
    size_px: q.sizePx,
    sharpness: round(q.sharpness, 2),
    brightness: round(q.brightness, 1),
    roll_deg: round(q.rollDeg, 1),
    yaw_deg: round(q.yawDeg, 1),
    pitch_deg: round(q.pitchDeg, 1),
  };
}

/** Box, confidence and quality measures of a face (no descriptor). */
export function qualifiedFaceView(face: DetectedFace): QualifiedFaceView {
  return { ...faceView(face), quality: qualityView(face.quality) };
}

/** Liveness scores rounded for the answer; null when the check is off. */
export function livenessView(result: LivenessResult | null): LivenessResult | null {
  return result && { real: round(result.real), live: round(result.live), passed: result.passed };
}

/** Similarity as answered: two decimals, and the match decided on that same figure. */
export const roundSimilarity = (value: number): number => round(value, 2);

/** A logged attempt as the API shows it. */
export function verificationView(row: VerificationRow): VerificationView {
  return {
    verification_id: row.id,
    user_id: row.user_id,
    result: row.result,
    match: row.result === 'match',
    similarity: row.similarity === null ? null : Number(row.similarity),
    threshold: Number(row.threshold),
    reason: row.reason,
    movement: row.movement,
    transaction_id: row.transaction_id,
    request_id: row.request_id,
    actor: row.actor,
    at: new Date(Number(row.at)).toISOString(),
    latency_ms: Number(row.latency_ms),
  };
}

/** The API error of a face-engine failure; other errors pass through. */
export function appErrorOf(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (!(error instanceof FaceEngineError)) return error;
  const code: ErrorCode = error.code === 'ENGINE_CLOSED' ? 'IDENTITY_UNAVAILABLE' : error.code;
  return new AppError(code, error.message, { details: detailsView(error), cause: error });
}

/**
 * The API error of a failure about one input (compare's `source`, a photo file): `about` is
 * added to its details and `subject` leads its message. Errors that are not the caller's
 * (no stable code) pass through.
 */
export function failureAbout(
  error: unknown,
  about: Readonly<Record<string, unknown>>,
  subject: string,
): unknown {
  const failure = appErrorOf(error);
  if (!(failure instanceof AppError)) return failure;
  return withDetails(failure, about, `${subject}: ${failure.message}`);
}

/** An engine failure's details as answers show them: LOW_QUALITY's measures as a face's are. */
function detailsView(error: FaceEngineError): object {
  const details: object = error.details && typeof error.details === 'object' ? error.details : {};
  if (error.code !== 'LOW_QUALITY' || !('quality' in details)) return details;
  return { ...details, quality: qualityView(details.quality as FaceQuality) };
}
