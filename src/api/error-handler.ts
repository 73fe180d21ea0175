import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, fieldPath, statusOf, type ErrorCode, type FieldError } from '../errors.js';
import { storeUnavailableError } from '../store/store-errors.js';

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
  FST_ERR_BAD_URL: 'BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
};

/** Errors Node's HTTP server raises before there is a request (codes of `clientError`). */
const CONNECTION_ERRORS: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time.' },
  HPE_HEADER_OVERFLOW: { code: 'HEADERS_TOO_LARGE', message: 'The request headers are too large.' },
};
const MALFORMED = { code: 'BAD_REQUEST', message: 'The request is not valid HTTP.' } as const;

/** Maps any error to `{error: {code, message, details}}`; internals never leak in a 500. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = errorBodyOf(error, request);
  const status = statusOf(body.error.code);
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: body.error.code, status }, 'request rejected');
  const retryable = status === 429 || body.error.code === 'STORE_UNAVAILABLE';
  if (retryable && !reply.hasHeader('retry-after')) void reply.header('retry-after', '1');
  void reply.status(status).send(body);
}

/**
 * Fastify's `frameworkErrors` (a URL that does not decode, a parameter over the length
 * limit): these replies skip the `onSend` hooks, so the request id is set here.
 */
export function handleFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  void reply.header('x-request-id', request.id);
  handleError(error, request, reply);
}

function errorBodyOf(error: FastifyError, request: FastifyRequest): ErrorBody {
  const known = error instanceof AppError ? error : storeUnavailableError(error);
  if (known) return bodyOf(known.code, known.message, known.details);
  if (error.validation)
    return bodyOf('VALIDATION_FAILED', 'The request has invalid fields.', fieldsOf(error, request));
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

/**
 * The schema failures as field errors. A missing or unknown property is named in the field
 * (`querystring.foo`, not `querystring`), and an unknown one is said to be unknown.
 */
function fieldsOf(error: FastifyError, request: FastifyRequest): FieldError[] {
  const checked = validatedPart(request, error.validationContext);
  return (error.validation ?? []).map((v) => {
    const params = v.params as { missingProperty?: string; additionalProperty?: string } | undefined;
    const part = error.validationContext === 'body' ? '' : (error.validationContext ?? '');
    const named = params?.missingProperty ?? params?.additionalProperty;
    const field = [
      ...pointerSegments(v.instancePath, checked),
      ...(named === undefined ? [] : [named]),
    ].reduce(fieldPath, part);
    const says =
      params?.additionalProperty === undefined ? (v.message ?? 'is invalid') : 'is not a known field';
    // The body itself (not one of its fields) is named as such in the message.
    return { field, code: v.keyword, message: `${field || 'The body'} ${says}` };
  });
}

/** The part of the request a schema failure is about. */
function validatedPart(request: FastifyRequest, context: string | undefined): unknown {
  if (context === 'body') return request.body;
  if (context === 'querystring') return request.query;
  if (context === 'params') return request.params;
  return context === 'headers' ? request.headers : undefined;
}

/**
 * The keys of a JSON pointer (`/rules/0/condition`) into `value` (what was validated), array
 * indices as numbers: a segment of digits is an index only where `value` holds an array there
 * (`extra.1` is the key "1" of an object, `extra[1]` an array's second item).
 */
function pointerSegments(pointer: string, value: unknown): (string | number)[] {
  if (pointer === '') return [];
  let at = value;
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((key) => {
      const index = Array.isArray(at) && /^(0|[1-9]\d*)$/.test(key) ? Number(key) : undefined;
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
      return index ?? key;
    });
}

export function bodyOf(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/**
 * Fastify's `clientErrorHandler`: answers a connection-level error (request timeout,
 * malformed HTTP, oversized headers) on the raw socket with the same envelope, then closes it.
 */
export function handleClientError(this: FastifyInstance, error: ConnectionError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { code, message } = CONNECTION_ERRORS[error.code] ?? MALFORMED;
  const requestId = randomUUID();
  this.log.debug({ err: error, code, request_id: requestId }, 'client error');
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const response = rawResponse(statusOf(code), JSON.stringify(bodyOf(code, message)), requestId);
  socket.end(response, () => socket.destroy());
}

function rawResponse(status: number, json: string, requestId: string): string {
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    `x-request-id: ${requestId}`,
    'connection: close',
    '',
    json,
  ].join('\r\n');
}
