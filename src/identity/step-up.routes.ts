import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema, nullable } from '../api/schemas.js';
import { storedTransactionSchema } from '../transactions/transaction.schema.js';
import { stepUpBodySchema } from './identity.schema.js';
import { numberField, readImageInput } from './image-input.js';
import type { StepUpService } from './step-up.service.js';

const str = { type: 'string' } as const;

const stepUpResultSchema = {
  type: 'object',
  properties: {
    transaction_id: str,
    decision: { type: 'string', enum: ['approve', 'review', 'decline'] },
    verification: {
      type: 'object',
      properties: {
        verification_id: str,
        match: { type: 'boolean' },
        similarity: nullable({ type: 'number' }),
        threshold: nullable({ type: 'number' }),
        reason: nullable(str),
      },
    },
    history: storedTransactionSchema.properties.history,
    attempts_left: nullable({ type: 'integer' }),
  },
} as const;

/** `POST /v1/transactions/:id/verify-identity`: the account holder's face resolves a review. */
export function stepUpRoute(
  app: FastifyInstance,
  { stepUp, imageBodyLimit }: { stepUp: StepUpService; imageBodyLimit: number },
): void {
  app.post<{ Params: { id: string } }>(
    '/v1/transactions/:id/verify-identity',
    {
      bodyLimit: imageBodyLimit,
      config: { access: 'identity:verify' },
      schema: {
        tags: ['identity', 'transactions'],
        summary: "Step-up: the account holder's photo approves a transaction in review, or declines it",
        description:
          'A match approves; no match or a suspected spoof declines (or, with CENTINELA_STEP_UP_FAILURE=review, keeps it in review until CENTINELA_STEP_UP_MAX_FAILURES failures, the last of which declines it; attempts_left says how many step-ups remain). A photo that cannot be checked answers its error and changes nothing. 409 when the transaction is not in review.',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } },
        body: stepUpBodySchema,
        response: {
          200: stepUpResultSchema,
          409: errorSchema,
          ...{ 400: errorSchema, 404: errorSchema, 413: errorSchema, 422: errorSchema, 503: errorSchema },
          ...authErrors,
        },
      },
    },
    async (request) => {
      const input = await readImageInput(request, ['image'], ['similarity_threshold']);
      return stepUp.stepUp(request.params.id, input.images['image'] as Buffer, {
        threshold: numberField(input, 'similarity_threshold'),
        requestId: request.id,
        actor: actorOf(request),
      });
    },
  );
}
