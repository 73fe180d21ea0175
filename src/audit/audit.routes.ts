import type { FastifyInstance } from 'fastify';
import { authErrors, errorSchema, filterText } from '../api/schemas.js';
import { cursorOf, CURSOR_PATTERN } from '../shared/keyset-cursor.js';
import { queryTimeRange } from '../shared/time-range.js';
import type { AuditLog } from './audit-log.service.js';

interface AuditQuery {
  action?: string;
  actor?: string;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
}

const querySchema = {
  type: 'object',
  properties: {
    action: filterText(100),
    actor: filterText(100),
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    cursor: { type: 'string', pattern: CURSOR_PATTERN },
  },
  additionalProperties: false,
} as const;

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'string' },
    actor: { type: 'string' },
    action: { type: 'string' },
    target: { type: 'string' },
    details: {},
  },
} as const;

/** `GET /v1/audit`: the admin audit log, newest first (admin only). */
export function auditRoutes(app: FastifyInstance, { audit }: { audit: AuditLog }): void {
  app.get<{ Querystring: AuditQuery }>(
    '/v1/audit',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: 'Admin actions (rules, models, keys, webhooks, identity erasure), newest first',
        querystring: querySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: entrySchema },
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
      const page = await audit.list({
        action: q.action,
        actor: q.actor,
        ...queryTimeRange(q),
        before: q.cursor === undefined ? undefined : cursorOf(q.cursor),
        limit: q.limit,
      });
      return { items: page.items, next_cursor: page.nextCursor };
    },
  );
}
