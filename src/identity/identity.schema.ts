import { filterText, nullable } from '../api/schemas.js';
import { ValidationError } from '../errors.js';

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;

/** A user id as it appears in paths: the account id of the transactions API. */
export const userParamsSchema = {
  type: 'object',
  properties: { userId: { type: 'string', minLength: 1, maxLength: 128 } },
  required: ['userId'],
} as const;

/** The most characters of a verification's text fields, `movement` and `transaction_id`. */
export const MAX_TEXT_FIELD = 128;

/**
 * A user id to enroll under: not spaces alone, which no transaction can carry (the
 * transactions API refuses a blank account_id), so its step-ups could never be asked for.
 * `field` names it as the caller knows it (`params.userId`, `--user`).
 */
export function enrollableUserId(userId: string, field = 'params.userId'): string {
  if (userId.trim() !== '') return userId;
  const message = 'The user id must not be blank: it is the account_id of the transactions API.';
  throw new ValidationError([{ field, code: 'type', message }], message);
}

const thresholdField = {
  type: 'number',
  minimum: 0,
  maximum: 100,
  description: 'Match threshold on the calibrated 0..100 scale; default 80, within the configured bounds.',
} as const;

const imageField = {
  type: 'string',
  minLength: 1,
  description: 'JPEG, PNG or WebP, base64 (a data: URL prefix is accepted); at most 5 MB, 25 megapixels.',
} as const;

const MULTIPART_NOTE =
  'Also accepts multipart/form-data with the image as a file part and the other fields as text parts.';

/** Body of enrollment: JSON, or multipart with an `image` file. */
export const enrollBodySchema = {
  description: MULTIPART_NOTE,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { image_base64: imageField },
        required: ['image_base64'],
        additionalProperties: false,
      },
    },
  },
} as const;

const verifyFields = {
  image_base64: imageField,
  movement: {
    type: 'string',
    maxLength: MAX_TEXT_FIELD,
    description: 'What is being authorised (free text).',
  },
  transaction_id: { type: 'string', maxLength: MAX_TEXT_FIELD },
  similarity_threshold: thresholdField,
} as const;

/** Body of verification: JSON, or multipart with an `image` file. */
export const verifyBodySchema = {
  description: MULTIPART_NOTE,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: verifyFields,
        required: ['image_base64'],
        additionalProperties: false,
      },
    },
  },
} as const;

/** Body of a step-up: the account holder's photo. */
export const stepUpBodySchema = {
  description: MULTIPART_NOTE,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { image_base64: imageField, similarity_threshold: thresholdField },
        required: ['image_base64'],
        additionalProperties: false,
      },
    },
  },
} as const;

/** Body of compare: `source` and `target` images. */
export const compareBodySchema = {
  description: `${MULTIPART_NOTE} File parts are named source and target.`,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        properties: { source: imageField, target: imageField, similarity_threshold: thresholdField },
        required: ['source', 'target'],
        additionalProperties: false,
      },
    },
  },
} as const;

const boxSchema = {
  type: 'object',
  description: 'Fractions of the image width and height; left, top is the top-left corner.',
  properties: { left: num, top: num, width: num, height: num },
} as const;

/** A face in compare answers. */
export const faceSchema = {
  type: 'object',
  properties: { bounding_box: boxSchema, confidence: num },
} as const;

const qualifiedFaceSchema = {
  type: 'object',
  properties: {
    bounding_box: boxSchema,
    confidence: num,
    quality: {
      type: 'object',
      properties: {
        size_px: num,
        sharpness: num,
        brightness: num,
        roll_deg: num,
        yaw_deg: num,
        pitch_deg: num,
      },
    },
  },
} as const;

const livenessSchema = nullable({
  type: 'object',
  description: 'Antispoof (real) and liveness (live) scores 0..1; null when the check is off.',
  properties: { real: num, live: num, passed: { type: 'boolean' } },
});

/** Answer of enrollment. */
export const enrollResultSchema = {
  type: 'object',
  properties: {
    template_id: str,
    user_id: str,
    templates: { type: 'integer' },
    face: qualifiedFaceSchema,
    liveness: livenessSchema,
    photo_kept: { type: 'boolean' },
    created_at: str,
  },
} as const;

/** Answer of verification. */
export const verifyResultSchema = {
  type: 'object',
  properties: {
    verification_id: str,
    user_id: str,
    match: { type: 'boolean' },
    similarity: num,
    threshold: num,
    face: qualifiedFaceSchema,
    liveness: livenessSchema,
    movement: nullable(str),
    transaction_id: nullable(str),
    processed_at: str,
    latency_ms: num,
  },
} as const;

/** One logged attempt. */
export const verificationSchema = {
  type: 'object',
  properties: {
    verification_id: str,
    user_id: str,
    result: { type: 'string', enum: ['match', 'no_match', 'rejected'] },
    match: { type: 'boolean' },
    similarity: nullable(num),
    threshold: num,
    reason: nullable(str),
    movement: nullable(str),
    transaction_id: nullable(str),
    request_id: nullable(str),
    actor: str,
    at: str,
    latency_ms: num,
  },
} as const;

/** Filters of the verification log. */
export const verificationQuerySchema = {
  type: 'object',
  properties: {
    user_id: filterText(128),
    result: { type: 'string', enum: ['match', 'no_match', 'rejected'] },
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', pattern: '^[0-9]{1,16}:[0-9A-Za-z_-]{1,80}$' },
  },
  additionalProperties: false,
} as const;

/** Answer of compare (CompareFaces' shape). */
export const compareResultSchema = {
  type: 'object',
  properties: {
    source_face: faceSchema,
    face_matches: {
      type: 'array',
      items: { type: 'object', properties: { similarity: num, face: faceSchema } },
    },
    unmatched_faces: { type: 'array', items: faceSchema },
    similarity_threshold: num,
  },
} as const;
