import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema } from '../api/schemas.js';
import type { AuditLog } from '../audit/audit-log.service.js';
import { AppError } from '../errors.js';
import { validateRuleSet } from './rule-set.js';
import type { RulesService } from './rules.service.js';

const tags = ['rules'];
const versionParams = {
  type: 'object',
  properties: { version: { type: 'integer', minimum: 1 } },
  required: ['version'],
} as const;
const ruleSetBody = { type: 'object', description: 'A rule set document (see README, "Rules").' } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

/** Rule sets: read, validate, save a new version, activate any version. */
export function rulesRoutes(
  app: FastifyInstance,
  { rules, audit }: { rules: RulesService; audit: AuditLog },
): void {
  app.get(
    '/v1/rules',
    {
      config: { access: 'rules:read' },
      schema: {
        tags,
        summary: 'The rule set in use',
        description:
          'The active version; with `refused` when the version marked active in the store cannot be evaluated and this service keeps using the one shown.',
        response: authErrors,
      },
    },
    async () => rules.inUse(),
  );

  app.get(
    '/v1/rules/versions',
    { config: { access: 'rules:read' }, schema: { tags, summary: 'Every saved version, newest first' } },
    async () => ({ items: await rules.list() }),
  );

  app.get<{ Params: { version: number } }>(
    '/v1/rules/versions/:version',
    {
      config: { access: 'rules:read' },
      schema: { tags, summary: 'One version', params: versionParams, response: { 404: errorSchema } },
    },
    async (request) => rules.get(request.params.version),
  );

  app.post(
    '/v1/rules/validate',
    {
      config: { access: 'rules:read' },
      schema: { tags, summary: 'Check a rule set without saving it', body: ruleSetBody },
    },
    (request) => {
      const errors = validateRuleSet(request.body);
      return { valid: errors.length === 0, errors };
    },
  );

  app.post<{ Querystring: { activate: boolean } }>(
    '/v1/rules',
    {
      config: { access: 'rules:admin' },
      schema: {
        tags,
        summary: 'Save a new rule set version (active at once unless activate=false)',
        body: ruleSetBody,
        querystring: {
          type: 'object',
          properties: { activate: { type: 'boolean', default: true } },
          additionalProperties: false,
        },
        response: { 201: anyObject, 400: errorSchema, ...authErrors },
      },
    },
    async (request, reply) => {
      const saved = await rules.save(request.body, actorOf(request), request.query.activate);
      await audit.record(actorOf(request), 'rules.save', String(saved.version), {
        name: saved.name,
        activated: request.query.activate,
      });
      return reply.status(201).send(saved);
    },
  );

  app.post<{ Params: { version: number } }>(
    '/v1/rules/versions/:version/activate',
    {
      config: { access: 'rules:admin' },
      schema: { tags, summary: 'Make a saved version the active one', params: versionParams },
    },
    async (request) => {
      if (!Number.isInteger(request.params.version)) throw new AppError('NOT_FOUND', 'No such version.');
      const activated = await rules.activate(request.params.version);
      await audit.record(actorOf(request), 'rules.activate', String(activated.version));
      return activated;
    },
  );
}
