import { performance } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema } from '../api/schemas.js';
import { AppError, ValidationError } from '../errors.js';
import { queryTimeRange } from '../shared/time-range.js';
import type { TransactionInput } from './transaction.js';
import { parseTransaction } from './transaction.js';
import type { TransactionService } from './transaction.service.js';
import {
  decisionSchema,
  listQuerySchema,
  storedTransactionSchema,
  transactionBodySchema,
} from './transaction.schema.js';

export interface TransactionRoutesOptions {
  readonly transactions: TransactionService;
  readonly defaultCurrency: string;
}

interface ListQuery {
  account_id?: string;
  decision?: 'approve' | 'review' | 'decline';
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

/** Validation is done by `parseTransaction` (aliases, every field at once), not by Ajv. */
const passThrough = () => (data: unknown) => ({ value: data });

const modeQuerySchema = {
  type: 'object',
  properties: { mode: { type: 'string', enum: ['sync', 'async'], default: 'sync' } },
  additionalProperties: false,
} as const;
const acceptedSchema = {
  type: 'object',
  properties: {
    transaction_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'decided'] },
  },
} as const;

/** The query string of POST /v1/transactions (the body has its own validation). */
function validateQuery(data: unknown) {
  const query = (data ?? {}) as Record<string, unknown>;
  const mode = query['mode'] ?? 'sync';
  // `?mdoe=async` was scored synchronously without a word.
  const unknown = Object.keys(query).find((name) => name !== 'mode');
  if (unknown !== undefined) {
    const field = `querystring.${unknown}`;
    return {
      error: new ValidationError([
        { field, code: 'additionalProperties', message: `${field} is not a known field` },
      ]),
    };
  }
  if (mode === 'sync' || mode === 'async') return { value: { mode } };
  return {
    error: new ValidationError([
      { field: 'querystring.mode', code: 'enum', message: 'mode must be sync or async.' },
    ]),
  };
}
const tags = ['transactions'];

/** Parses a request body into a transaction or throws a 400 listing every bad field. */
export function transactionOf(body: unknown, defaultCurrency: string): TransactionInput {
  const parsed = parseTransaction(body, { currency: defaultCurrency, now: Date.now(), refuseFuture: true });
  if (!parsed.ok) throw new ValidationError(parsed.errors);
  return parsed.value;
}

/** `POST /v1/transactions`, `GET /v1/transactions/:id`, `GET /v1/transactions`. */
export function transactionRoutes(app: FastifyInstance, options: TransactionRoutesOptions): void {
  const { transactions, defaultCurrency } = options;

  app.post<{ Querystring: { mode: 'sync' | 'async' } }>(
    '/v1/transactions',
    {
      config: { access: 'transactions:write' },
      validatorCompiler: ({ httpPart }) => (httpPart === 'body' ? passThrough() : validateQuery),
      schema: {
        tags,
        summary: 'Score a transaction (or return the stored decision of a replayed id)',
        description:
          'mode=sync (default) answers 200 with the decision once it is stored. mode=async answers 202 once the transaction is durably stored; GET /v1/transactions/:id shows status "pending" until the decision exists.',
        querystring: modeQuerySchema,
        body: transactionBodySchema,
        response: { 200: decisionSchema, 202: acceptedSchema, 400: errorSchema, ...authErrors },
      },
    },
    async (request, reply) => {
      const arrivedAt = performance.now();
      const tx = transactionOf(request.body, defaultCurrency);
      if (request.query.mode === 'async') {
        const { status, replayed } = await transactions.accept(tx, arrivedAt);
        if (replayed) void reply.header('idempotent-replayed', 'true');
        return reply.status(202).send({ transaction_id: tx.transaction_id, status });
      }
      const { result, replayed } = await transactions.submit(tx, arrivedAt);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return result;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/transactions/:id',
    {
      config: { access: 'transactions:read' },
      schema: {
        tags,
        summary: 'A stored transaction and its decision',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 128 } } },
        response: { 200: storedTransactionSchema, 404: errorSchema, ...authErrors },
      },
    },
    async (request) => {
      const stored = await transactions.get(request.params.id);
      if (!stored) throw new AppError('NOT_FOUND', `Transaction '${request.params.id}' is unknown.`);
      return stored;
    },
  );

  app.post<{
    Params: { id: string };
    Body: { label: 'fraud' | 'legit'; expected_label?: 'fraud' | 'legit' | null };
  }>(
    '/v1/transactions/:id/label',
    {
      config: { access: 'transactions:label' },
      schema: {
        tags,
        summary: "Record an analyst's label (feeds training and backtests)",
        description:
          'With expected_label (the label the analyst saw; null for none) the label is stored only if it is still that one, else 409 CONFLICT; without it the latest label wins.',
        body: {
          type: 'object',
          properties: {
            label: { type: 'string', enum: ['fraud', 'legit'] },
            expected_label: { type: ['string', 'null'], enum: ['fraud', 'legit', null] },
          },
          required: ['label'],
          additionalProperties: false,
        },
        response: {
          200: storedTransactionSchema,
          400: errorSchema,
          404: errorSchema,
          409: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request) =>
      transactions.label(
        request.params.id,
        request.body.label,
        actorOf(request),
        request.body.expected_label,
      ),
  );

  app.get<{ Querystring: ListQuery }>(
    '/v1/transactions',
    {
      config: { access: 'transactions:read' },
      schema: {
        tags,
        summary: 'Transactions, newest first, a page at a time',
        querystring: listQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: storedTransactionSchema },
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
      const page = await transactions.list({
        accountId: q.account_id,
        decision: q.decision,
        ...queryTimeRange(q),
        beforeSeq: q.cursor === undefined ? undefined : Number(q.cursor),
        limit: q.limit,
      });
      return { items: page.items, next_cursor: page.nextSeq === null ? null : String(page.nextSeq) };
    },
  );
}
