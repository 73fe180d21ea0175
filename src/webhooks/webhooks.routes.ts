import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema } from '../api/schemas.js';
import type { AuditLog } from '../audit/audit-log.service.js';
import { cursorOf, CURSOR_PATTERN } from '../shared/keyset-cursor.js';
import { WEBHOOK_EVENTS, type WebhookEvent } from './webhook-events.js';
import type { WebhookService } from './webhook.service.js';

const tags = ['webhooks'];
const access = 'webhooks:admin' as const;
const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 64 } },
  required: ['id'],
} as const;
const webhookSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    events: { type: 'array', items: { type: 'string' } },
    description: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    created_by: { type: 'string' },
    secret: { type: 'string' },
  },
} as const;
const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    event: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    next_attempt_at: { type: ['string', 'null'] },
    last_status_code: { type: ['integer', 'null'] },
    last_error: { type: ['string', 'null'] },
    created_at: { type: 'string' },
    delivered_at: { type: ['string', 'null'] },
    payload: {},
  },
} as const;

interface CreateBody {
  url: string;
  events: WebhookEvent[];
  description?: string;
}

/** `POST/GET /v1/webhooks`, `DELETE /v1/webhooks/:id`, `GET /v1/webhooks/:id/deliveries`. */
export function webhooksRoutes(
  app: FastifyInstance,
  { webhooks, audit }: { webhooks: WebhookService; audit: AuditLog },
): void {
  app.post<{ Body: CreateBody }>(
    '/v1/webhooks',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Subscribe a URL to events; the signing secret is in this answer only',
        body: {
          type: 'object',
          properties: {
            url: { type: 'string', minLength: 1, maxLength: 2000 },
            events: {
              type: 'array',
              items: { type: 'string', enum: [...WEBHOOK_EVENTS] },
              minItems: 1,
              maxItems: WEBHOOK_EVENTS.length,
            },
            description: { type: 'string', maxLength: 200 },
          },
          required: ['url', 'events'],
          additionalProperties: false,
        },
        response: { 201: webhookSchema, 400: errorSchema, ...authErrors },
      },
    },
    async (request, reply) => {
      const created = await webhooks.create(request.body, actorOf(request));
      await audit.record(actorOf(request), 'webhooks.create', created.id, {
        url: created.url,
        events: created.events,
      });
      return reply.status(201).send(created);
    },
  );

  app.get(
    '/v1/webhooks',
    { config: { access }, schema: { tags, summary: 'Every subscription (never the secrets)' } },
    async () => ({ items: await webhooks.list() }),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/webhooks/:id',
    {
      config: { access },
      schema: { tags, summary: 'Delete a subscription', params: idParams, response: { 404: errorSchema } },
    },
    async (request, reply) => {
      await webhooks.remove(request.params.id);
      await audit.record(actorOf(request), 'webhooks.delete', request.params.id);
      return reply.status(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { status?: string; limit: number; cursor?: string } }>(
    '/v1/webhooks/:id/deliveries',
    {
      config: { access },
      schema: {
        tags,
        summary: 'Delivery log of a subscription, newest first',
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: {
              type: 'string',
              pattern: CURSOR_PATTERN,
              description: 'next_cursor of the previous page',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: deliverySchema },
              next_cursor: { type: ['string', 'null'] },
            },
          },
          404: errorSchema,
          ...authErrors,
        },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const before = cursor === undefined ? undefined : cursorOf(cursor);
      const page = await webhooks.deliveries(request.params.id, { status, limit, before });
      return { items: page.items, next_cursor: page.nextCursor };
    },
  );
}
