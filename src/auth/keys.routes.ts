import type { FastifyInstance } from 'fastify';
import { actorOf } from '../api/auth.js';
import { authErrors, errorSchema } from '../api/schemas.js';
import type { AuditLog } from '../audit/audit-log.service.js';
import type { Config } from '../config.js';
import { MAX_KEY_NAME_LENGTH, MAX_RATE_LIMIT_PER_MINUTE, type ApiKeyService } from './api-key.service.js';
import { SCOPES } from './scopes.js';
import { timeFieldOf } from '../shared/iso-time.js';

const tags = ['keys'];

/** API keys: list, create (the secret is returned once), revoke. */
export function keysRoutes(
  app: FastifyInstance,
  {
    keys,
    audit,
    config,
  }: { keys: ApiKeyService; audit: AuditLog; config: Pick<Config, 'rateLimitPerMinute'> },
): void {
  app.get(
    '/v1/keys',
    { config: { access: 'keys:admin' }, schema: { tags, summary: 'Every key (never the secrets)' } },
    async () => ({ items: await keys.list() }),
  );

  app.post<{
    Body: { name: string; scopes: string[]; expires_at?: string; rate_limit_per_minute?: number };
  }>(
    '/v1/keys',
    {
      config: { access: 'keys:admin' },
      schema: {
        tags,
        summary: 'Create a key; its secret is in this answer only',
        description:
          'A key gives only scopes it holds (403 FORBIDDEN otherwise); expires_at must be in the future.',
        body: {
          type: 'object',
          properties: {
            // Checked by the service, so the API and the CLI refuse a name with the same words.
            name: {
              type: 'string',
              description: `1 to ${MAX_KEY_NAME_LENGTH} characters, not blank (leading and trailing spaces are dropped)`,
            },
            scopes: { type: 'array', items: { type: 'string', enum: [...SCOPES] }, minItems: 1 },
            expires_at: { type: 'string', format: 'date-time' },
            rate_limit_per_minute: { type: 'integer', minimum: 1, maximum: MAX_RATE_LIMIT_PER_MINUTE },
          },
          required: ['name', 'scopes'],
          additionalProperties: false,
        },
        response: { 400: errorSchema, ...authErrors },
      },
    },
    async (request, reply) => {
      const { name, scopes, expires_at, rate_limit_per_minute } = request.body;
      const created = await keys.create(
        {
          name,
          scopes,
          expiresAt: expires_at ? (timeFieldOf(expires_at, 'expires_at') ?? null) : null,
          rateLimitPerMinute: rate_limit_per_minute ?? null,
        },
        {
          principal: request.principal ?? { keyId: 'anonymous', scopes: [] },
          defaultPerMinute: config.rateLimitPerMinute,
        },
      );
      const { key: _secret, ...info } = created;
      await audit.record(actorOf(request), 'keys.create', created.id, info);
      return reply.status(201).send(created);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/keys/:id',
    {
      config: { access: 'keys:admin' },
      schema: {
        tags,
        summary: 'Revoke a key at once (only a key whose scopes the caller holds)',
        response: { 404: errorSchema },
      },
    },
    async (request, reply) => {
      const id = await keys.revoke(request.params.id, request.principal?.scopes ?? []);
      await audit.record(actorOf(request), 'keys.revoke', id);
      return reply.status(204).send();
    },
  );
}
