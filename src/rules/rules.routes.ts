import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema, nullable } from '../api/schemas.js';
import type { AuditLog } from '../audit/audit-log.service.js';
import { ValidationError } from '../errors.js';
import { activateAndRecord, saveAndRecord } from './rule-changes.js';
import { validateRuleSet } from './rule-set.js';
import type { RulesService } from './rules.service.js';

const tags = ['rules'];
/** A version in a path: plain decimal digits without a leading zero (`0x1`, `1e1`, `+1`, `01`, `1.0` are refused). */
const versionParams = {
  type: 'object',
  properties: {
    version: { type: 'string', pattern: '^[1-9][0-9]*$', description: 'A version number, such as 3.' },
  },
  required: ['version'],
} as const;
const versionsQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: {
      type: 'string',
      pattern: '^[0-9]{1,16}$',
      description: 'next_cursor of the previous page: the versions below this one',
    },
  },
  additionalProperties: false,
} as const;
const summarySchema = {
  type: 'object',
  properties: {
    version: { type: 'integer' },
    name: { type: 'string' },
    active: { type: 'boolean' },
    created_at: { type: 'string' },
    created_by: { type: 'string' },
    activated_at: nullable({ type: 'string' }),
    rules: { type: 'integer', description: 'The number of rules' },
  },
} as const;
const versionsPage = {
  type: 'object',
  properties: { items: { type: 'array', items: summarySchema }, next_cursor: { type: ['string', 'null'] } },
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

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/v1/rules/versions',
    {
      config: { access: 'rules:read' },
      schema: {
        tags,
        summary: 'Saved versions, newest first, a page at a time (without their documents)',
        querystring: versionsQuery,
        response: { 200: versionsPage, 400: errorSchema, ...authErrors },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await rules.list({ limit, before: cursor === undefined ? undefined : Number(cursor) });
      return { items: page.items, next_cursor: page.nextCursor === null ? null : String(page.nextCursor) };
    },
  );

  app.get<{ Params: { version: string } }>(
    '/v1/rules/versions/:version',
    {
      config: { access: 'rules:read' },
      schema: {
        tags,
        summary: 'One version, with its document',
        params: versionParams,
        response: { 400: errorSchema, 404: errorSchema },
      },
    },
    async (request) => rules.get(versionOf(request.params.version)),
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
      const actor = actorOf(request);
      const saved = await saveAndRecord({ rules, audit }, actor, request.body, request.query.activate);
      return reply.status(201).send(saved);
    },
  );

  app.post<{ Params: { version: string } }>(
    '/v1/rules/versions/:version/activate',
    {
      config: { access: 'rules:admin' },
      schema: {
        tags,
        summary: 'Make a saved version the active one',
        params: versionParams,
        response: { 400: errorSchema, 404: errorSchema },
      },
    },
    async (request) =>
      activateAndRecord({ rules, audit }, actorOf(request), versionOf(request.params.version)),
  );
}

/** A `:version` the schema let through (digits), as a number: one beyond 2^53 would be rounded. */
function versionOf(text: string): number {
  const version = Number(text);
  if (Number.isSafeInteger(version)) return version;
  const field = 'params.version';
  const message = `${field} must be at most ${Number.MAX_SAFE_INTEGER}`;
  throw new ValidationError([{ field, code: 'maximum', message }]);
}
