import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, statusOf, type ErrorCode, type FieldError } from '../errors.js';

/** Body of every error answer. */
export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly details?: unknown };
}

const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

/** Maps any error to `{error: {code, message, details}}`; internals never leak in a 500. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = errorBodyOf(error);
  const status = statusOf(body.error.code);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: body.error.code, status }, 'request rejected');
  if (status === 429 && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
  void reply.status(status).send(body);
}

function errorBodyOf(error: FastifyError): ErrorBody {
  if (error instanceof AppError) return bodyOf(error.code, error.message, error.details);
  if (error.validation)
    return bodyOf('VALIDATION_FAILED', 'The request has invalid fields.', fieldsOf(error));
  const code = FASTIFY_CODES[error.code] ?? clientCode(error);
  if (code === 'INVALID_JSON') return bodyOf(code, 'The body is not valid JSON.');
  if (code) return bodyOf(code, error.message);
  return bodyOf('INTERNAL', 'Internal error; it has been logged.');
}

function clientCode(error: FastifyError): ErrorCode | undefined {
  if (error instanceof SyntaxError) return 'INVALID_JSON';
  if (error.statusCode === 429) return 'RATE_LIMITED';
  if (error.statusCode === 413) return 'PAYLOAD_TOO_LARGE';
  if (error.statusCode === 415) return 'UNSUPPORTED_MEDIA_TYPE';
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
    return 'VALIDATION_FAILED';
  return undefined;
}

function fieldsOf(error: FastifyError): FieldError[] {
  return (error.validation ?? []).map((v) => {
    const missing = (v.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const field = [error.validationContext === 'body' ? '' : error.validationContext, path, missing]
      .filter(Boolean)
      .join('.');
    return { field, code: v.keyword, message: `${field} ${v.message ?? 'is invalid'}` };
  });
}

export function bodyOf(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}
