/**
 * Application errors. Every error the API can answer with has a stable `code` from
 * {@link ErrorCode}; the HTTP error handler maps codes to statuses in one place.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'BAD_REQUEST'
  | 'REQUEST_TIMEOUT'
  | 'URI_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONFLICT'
  | 'RULESET_INVALID'
  | 'INPUT_NOT_FOUND'
  | 'INPUT_INVALID'
  | 'RATE_LIMITED'
  | 'CONFIG_INVALID'
  | 'STORE_UNAVAILABLE'
  | 'SHUTTING_DOWN'
  | 'DECISION_TIMEOUT'
  | 'INVALID_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'NO_FACE'
  | 'MULTIPLE_FACES'
  | 'FACE_TOO_SMALL'
  | 'LOW_QUALITY'
  | 'SPOOF_SUSPECTED'
  | 'NOT_ENROLLED'
  | 'FACE_MISMATCH'
  | 'ENGINE_BUSY'
  | 'IDENTITY_UNAVAILABLE'
  | 'INTERNAL';

/** One offending field of a request: where it is, a stable code and a sentence for people. */
export interface FieldError {
  /** The field's path: `amount`, `rules[0].condition`, `querystring.limit`. */
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

/**
 * The path of `key` under the field `parent` ('' for the top): an array index in brackets
 * (`rules[0]`), a name after a dot (`rules[0].condition`). Every error names fields this way.
 */
export function fieldPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent === '' ? key : `${parent}.${key}`;
}

const STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  BAD_REQUEST: 400,
  REQUEST_TIMEOUT: 408,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  RULESET_INVALID: 400,
  INPUT_NOT_FOUND: 400,
  INPUT_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INVALID_IMAGE: 400,
  IMAGE_TOO_LARGE: 413,
  NO_FACE: 422,
  MULTIPLE_FACES: 422,
  FACE_TOO_SMALL: 422,
  LOW_QUALITY: 422,
  SPOOF_SUSPECTED: 422,
  NOT_ENROLLED: 404,
  FACE_MISMATCH: 409,
  ENGINE_BUSY: 503,
  IDENTITY_UNAVAILABLE: 503,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
  STORE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  DECISION_TIMEOUT: 504,
};

/** An expected failure with a stable code; `details` is safe to show to the caller. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
  }

  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

/**
 * `error` with `extra` added to its details (an object; other details are dropped), and
 * `message` in place of its own when given.
 */
export function withDetails(
  error: AppError,
  extra: Readonly<Record<string, unknown>>,
  message = error.message,
): AppError {
  const keep = typeof error.details === 'object' && error.details !== null && !Array.isArray(error.details);
  return new AppError(error.code, message, {
    details: { ...(keep ? error.details : {}), ...extra },
    cause: error,
  });
}

/** Invalid input: `details` lists every offending field. */
export class ValidationError extends AppError {
  constructor(
    readonly fields: readonly FieldError[],
    message = 'The request has invalid fields.',
  ) {
    super('VALIDATION_FAILED', message, { details: fields });
    this.name = 'ValidationError';
  }
}

/** The HTTP status for an error code. */
export function statusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}
