import type { FastifyInstance } from 'fastify';
import { authErrors, errorSchema } from '../api/schemas.js';
import { AppError } from '../errors.js';
import { transactionOf } from './transaction.routes.js';
import type { TransactionService } from './transaction.service.js';
import { transactionBodySchema } from './transaction.schema.js';

const tags = ['prototype compatibility'];

/**
 * The Kafka/Flask prototype's API, for its existing clients: `POST /transaction` answers
 * 202 once the transaction is stored, `GET /transaction/:id` answers the prototype's shape.
 * `is_fraud` is true when the decision is not `approve` (null while pending).
 */
export function legacyRoutes(
  app: FastifyInstance,
  options: { transactions: TransactionService; defaultCurrency: string },
): void {
  const { transactions, defaultCurrency } = options;

  app.post(
    '/transaction',
    {
      config: { access: 'transactions:write' },
      validatorCompiler: () => (data: unknown) => ({ value: data }),
      schema: {
        tags,
        summary: 'Submit a transaction (prototype-compatible)',
        body: transactionBodySchema,
        response: {
          202: {
            type: 'object',
            properties: { status: { type: 'string' }, transaction_id: { type: 'string' } },
          },
          400: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request, reply) => {
      const tx = transactionOf(request.body, defaultCurrency);
      // A stored id is not stored again, whatever the body: said by the header, as on /v1.
      const { replayed } = await transactions.accept(tx);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return reply.status(202).send({ status: 'Transaction received', transaction_id: tx.transaction_id });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/transaction/:id',
    {
      config: { access: 'transactions:read' },
      schema: {
        tags,
        summary: 'Result of a transaction (prototype-compatible)',
        response: {
          200: {
            type: 'object',
            properties: {
              transaction_id: { type: 'string' },
              amount: { type: 'number' },
              status: { type: 'string', enum: ['pending', 'decided'] },
              is_fraud: { type: ['boolean', 'null'] },
              probability: { type: ['number', 'null'] },
              model_version: { type: ['string', 'null'] },
            },
          },
          404: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request) => {
      const stored = await transactions.get(request.params.id);
      if (!stored) throw new AppError('NOT_FOUND', `Transaction '${request.params.id}' is unknown.`);
      const decision = stored.decision;
      return {
        transaction_id: stored.transaction_id,
        amount: stored.transaction.amount,
        status: stored.status,
        is_fraud: decision ? decision.decision !== 'approve' : null,
        probability: decision ? (decision.fraud_probability ?? decision.risk_score / 100) : null,
        model_version: decision?.model_version ?? null,
      };
    },
  );
}
