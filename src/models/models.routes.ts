import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema, filterText } from '../api/schemas.js';
import type { AuditLog } from '../audit/audit-log.service.js';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { ModelRegistry } from './model-registry.service.js';
import { queryTimeRange } from '../shared/time-range.js';
import { shadowReport } from './shadow-report.js';

const tags = ['models'];
const versionParams = {
  type: 'object',
  properties: { version: { type: 'string', maxLength: 64 } },
  required: ['version'],
} as const;
const errors = { 404: errorSchema, 409: errorSchema, ...authErrors } as const;
const shadowReportQuery = {
  type: 'object',
  properties: {
    version: { ...filterText(64), description: 'Default: the version in shadow now.' },
    from: { type: 'string', format: 'date-time', description: 'Event time, inclusive.' },
    to: { type: 'string', format: 'date-time' },
  },
  additionalProperties: false,
} as const;

/** The model registry: versions with metrics; activate, roll back, run a challenger in shadow. */
export function modelsRoutes(
  app: FastifyInstance,
  { models, audit, db }: { models: ModelRegistry; audit: AuditLog; db: Kysely<Database> },
): void {
  app.get(
    '/v1/models',
    {
      config: { access: 'models:read' },
      schema: { tags, summary: 'Every model version with its metrics, newest first' },
    },
    async () => ({ items: await models.list() }),
  );

  app.get<{ Querystring: { version?: string; from?: string; to?: string } }>(
    '/v1/models/shadow-report',
    {
      config: { access: 'models:read' },
      schema: {
        tags,
        summary: "A challenger's shadow scores against the live model's on the same transactions",
        querystring: shadowReportQuery,
        response: { 400: errorSchema, 404: errorSchema, ...authErrors },
      },
    },
    async (request) => {
      const q = request.query;
      return shadowReport(db, models, {
        ...(q.version === undefined ? {} : { version: q.version }),
        ...queryTimeRange(q),
      });
    },
  );

  app.get<{ Params: { version: string } }>(
    '/v1/models/:version',
    {
      config: { access: 'models:read' },
      schema: { tags, summary: 'One model version', params: versionParams, response: errors },
    },
    async (request) => models.info(request.params.version),
  );

  app.post<{ Params: { version: string } }>(
    '/v1/models/:version/activate',
    {
      config: { access: 'models:admin' },
      schema: {
        tags,
        summary: 'Make a version the live model (no restart)',
        params: versionParams,
        response: errors,
      },
    },
    async (request) => {
      const activated = await models.activate(request.params.version);
      await audit.record(actorOf(request), 'models.activate', activated.version);
      return activated;
    },
  );

  app.post(
    '/v1/models/rollback',
    {
      config: { access: 'models:admin' },
      schema: { tags, summary: 'Re-activate the previously active version', response: errors },
    },
    async (request) => {
      const activated = await models.rollback();
      await audit.record(actorOf(request), 'models.rollback', activated.version);
      return activated;
    },
  );

  app.post<{ Params: { version: string } }>(
    '/v1/models/:version/shadow',
    {
      config: { access: 'models:admin' },
      schema: {
        tags,
        summary: 'Score a challenger beside the live model (stored, never decides)',
        params: versionParams,
        response: errors,
      },
    },
    async (request) => {
      const shadow = await models.shadow(request.params.version);
      await audit.record(actorOf(request), 'models.shadow', request.params.version);
      return shadow;
    },
  );

  app.delete(
    '/v1/models/shadow',
    { config: { access: 'models:admin' }, schema: { tags, summary: 'Stop the shadow model' } },
    async (request, reply) => {
      const stopped = await models.stopShadow();
      if (stopped !== null) await audit.record(actorOf(request), 'models.shadow_stop', stopped);
      return reply.status(204).send();
    },
  );
}
