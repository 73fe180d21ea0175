import type { IncomingMessage, ServerResponse } from 'node:http';
import multipart from '@fastify/multipart';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../api/auth.js';
import { handleError } from '../api/error-handler.js';
import { authErrors, errorSchema } from '../api/schemas.js';
import { AppError } from '../errors.js';
import { textLength } from '../shared/text-length.js';
import { queryTimeRange } from '../shared/time-range.js';
import { isUnstorable } from '../shared/unstorable-text.js';
import type { IdentityService } from './identity.service.js';
import {
  compareBodySchema,
  compareResultSchema,
  enrollableUserId,
  enrollBodySchema,
  enrollResultSchema,
  userParamsSchema,
  verificationQuerySchema,
  verificationSchema,
  verifyBodySchema,
  verifyResultSchema,
} from './identity.schema.js';
import { bodyTooLarge, MULTIPART_LIMITS, numberField, readImageInput, textField } from './image-input.js';
import type { StepUpService } from './step-up.service.js';
import { stepUpRoute } from './step-up.routes.js';
import type { VerificationService } from './verification.service.js';

/** What the identity routes need, wired in `main.ts`. */
export interface IdentityRoutesOptions {
  readonly identity: IdentityService;
  readonly verifications: VerificationService;
  readonly stepUp: StepUpService;
  /** Route body limit of image uploads (JSON base64 or multipart). */
  readonly imageBodyLimit: number;
}

interface VerificationQuery {
  user_id?: string;
  result?: 'match' | 'no_match' | 'rejected';
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

const tags = ['identity'];
const imageErrors = {
  400: errorSchema,
  404: errorSchema,
  413: errorSchema,
  422: errorSchema,
  503: errorSchema,
};

const VERIFY_URL = '/v1/identities/:userId/verify';

/** A body over the route limit is an image over the limit: one code for every oversized upload. */
function imageErrorOf(error: FastifyError, imageBodyLimit: number): FastifyError | AppError {
  if (error.code !== 'FST_ERR_CTP_BODY_TOO_LARGE') return error;
  return bodyTooLarge(imageBodyLimit, error);
}

/** Whether the service already logged this failure (its details carry the attempt's id). */
const alreadyLogged = (error: AppError): boolean =>
  typeof error.details === 'object' && error.details !== null && 'verification_id' in error.details;

/**
 * Whether a path's user id is one the route would have accepted (the body limit fails a
 * request before its path is validated): only then is the attempt logged under it.
 */
function isValidUserId(userId: unknown): userId is string {
  const { minLength, maxLength } = userParamsSchema.properties.userId;
  if (typeof userId !== 'string') return false;
  const length = textLength(userId);
  return length >= minLength && length <= maxLength && !isUnstorable(userId);
}

/** An oversized upload to verify never reached the service: log it as a rejected attempt too. */
async function loggedIfVerify(
  error: FastifyError | AppError,
  request: FastifyRequest,
  verifications: VerificationService,
): Promise<FastifyError | AppError> {
  const userId = (request.params as { userId?: unknown } | undefined)?.userId;
  const isOversizedVerify =
    request.routeOptions.url === VERIFY_URL &&
    error instanceof AppError &&
    error.code === 'IMAGE_TOO_LARGE' &&
    !alreadyLogged(error) &&
    isValidUserId(userId);
  if (!isOversizedVerify) return error;
  return verifications.reject(userId, error, { requestId: request.id, actor: actorOf(request) });
}

/**
 * What is read of a refused body's rest once the answer is sent, before its connection is
 * closed: the time for a client to see the answer and stop sending (closing at once resets
 * the connection over the bytes in flight, and the client may lose the answer), but never
 * the whole body, which may be hundreds of MB.
 */
const LINGER = { bytes: 16 * 1_048_576, ms: 1000 } as const;

/** Closes the connection of a request refused before its body was all read, after its answer. */
function closeAfterAnswer(body: IncomingMessage, answer: ServerResponse): void {
  answer.once('finish', () => {
    let read = 0;
    const close = (): void => {
      clearTimeout(timer);
      body.off('data', count);
      if (!body.complete) body.destroy(); // and its connection
    };
    const count = (chunk: Buffer): void => {
      read += chunk.length;
      if (read > LINGER.bytes) close();
    };
    const timer = setTimeout(close, LINGER.ms).unref();
    body.on('data', count);
    body.once('end', close);
  });
}

/**
 * Oversized bodies answer `IMAGE_TOO_LARGE` (logged when they were verifications);
 * `ENGINE_BUSY` answers carry `Retry-After`; the rest goes to the common handler.
 */
function identityErrors(options: IdentityRoutesOptions) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const mapped = await loggedIfVerify(
      imageErrorOf(error, request.routeOptions.bodyLimit ?? options.imageBodyLimit),
      request,
      options.verifications,
    );
    if (mapped instanceof AppError && mapped.code === 'ENGINE_BUSY') void reply.header('retry-after', '1');
    if (request.raw.complete === false) closeAfterAnswer(request.raw, reply.raw); // not for inject()
    handleError(mapped, request, reply);
    return reply;
  };
}

/**
 * Enrollment, verification, the verification log, erasure, compare and the transaction
 * step-up, in one plugin scope that accepts multipart uploads.
 */
export async function identityRoutes(app: FastifyInstance, options: IdentityRoutesOptions): Promise<void> {
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: MULTIPART_LIMITS });
    scope.setErrorHandler(identityErrors(options));
    enrollmentRoutes(scope, options);
    verificationRoutes(scope, options);
    compareRoute(scope, options);
    stepUpRoute(scope, options);
  });
}

function enrollmentRoutes(app: FastifyInstance, { identity, imageBodyLimit }: IdentityRoutesOptions): void {
  app.post<{ Params: { userId: string } }>(
    '/v1/identities/:userId/faces',
    {
      bodyLimit: imageBodyLimit,
      config: { access: 'identity:enroll' },
      schema: {
        tags,
        summary: 'Enroll a reference face for a user (a user may have several)',
        description:
          "A user's second and later faces must match an enrolled one at CENTINELA_SIMILARITY_THRESHOLD_MIN at least, else 409 FACE_MISMATCH: enrolling another person takes an erasure first.",
        params: userParamsSchema,
        body: enrollBodySchema,
        response: { 201: enrollResultSchema, 409: errorSchema, ...imageErrors, ...authErrors },
      },
    },
    async (request, reply) => {
      const userId = enrollableUserId(request.params.userId);
      const input = await readImageInput(request, ['image']);
      const result = await identity.enroll(userId, input.images['image'] as Buffer, actorOf(request));
      return reply.status(201).send(result);
    },
  );

  app.delete<{ Params: { userId: string } }>(
    '/v1/identities/:userId',
    {
      config: { access: 'identity:admin' },
      schema: {
        tags,
        summary: "Erase a user's templates and photos (the verification log keeps no biometric data)",
        params: userParamsSchema,
        response: {
          200: {
            type: 'object',
            properties: { user_id: { type: 'string' }, templates_deleted: { type: 'integer' } },
          },
          ...authErrors,
        },
      },
    },
    async (request) => identity.erase(request.params.userId, actorOf(request)),
  );
}

function verificationRoutes(
  app: FastifyInstance,
  { verifications, imageBodyLimit }: IdentityRoutesOptions,
): void {
  app.post<{ Params: { userId: string } }>(
    '/v1/identities/:userId/verify',
    {
      bodyLimit: imageBodyLimit,
      config: { access: 'identity:verify' },
      schema: {
        tags,
        summary: "Verify a photo against a user's enrolled faces (every attempt is logged)",
        params: userParamsSchema,
        body: verifyBodySchema,
        response: { 200: verifyResultSchema, ...imageErrors, ...authErrors },
      },
    },
    async (request) => {
      const input = await readImageInput(
        request,
        ['image'],
        ['movement', 'transaction_id', 'similarity_threshold'],
      );
      return verifications.verify(request.params.userId, input.images['image'] as Buffer, {
        movement: textField(input, 'movement'),
        transactionId: textField(input, 'transaction_id'),
        threshold: numberField(input, 'similarity_threshold'),
        requestId: request.id,
        actor: actorOf(request),
      });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/verifications/:id',
    {
      config: { access: 'identity:verify' },
      schema: {
        tags,
        summary: 'One verification attempt',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } },
        response: { 200: verificationSchema, 404: errorSchema, ...authErrors },
      },
    },
    async (request) => verifications.get(request.params.id),
  );

  app.get<{ Querystring: VerificationQuery }>(
    '/v1/verifications',
    {
      config: { access: 'identity:verify' },
      schema: {
        tags,
        summary: 'Verification attempts, newest first, a page at a time',
        querystring: verificationQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: verificationSchema },
              next_cursor: { type: ['string', 'null'] },
            },
          },
          400: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const [at, id] = q.cursor?.split(/:(.*)/s) ?? [];
      return verifications.list({
        userId: q.user_id,
        result: q.result,
        ...queryTimeRange(q),
        before: at !== undefined && id !== undefined ? { at: Number(at), id } : undefined,
        limit: q.limit,
      });
    },
  );
}

function compareRoute(app: FastifyInstance, { identity, imageBodyLimit }: IdentityRoutesOptions): void {
  app.post(
    '/v1/faces/compare',
    {
      bodyLimit: 2 * imageBodyLimit,
      config: { access: 'identity:verify' },
      schema: {
        tags,
        summary: 'Compare the largest face of source with every face of target (CompareFaces)',
        body: compareBodySchema,
        response: { 200: compareResultSchema, ...imageErrors, ...authErrors },
      },
    },
    async (request) => {
      const input = await readImageInput(request, ['source', 'target'], ['similarity_threshold']);
      const { source, target } = input.images as { source: Buffer; target: Buffer };
      return identity.compare(source, target, numberField(input, 'similarity_threshold'));
    },
  );
}
