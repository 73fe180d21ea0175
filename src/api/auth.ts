import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import type { ApiKeyService, Principal } from '../auth/api-key.service.js';
import { allows, type Scope } from '../auth/scopes.js';
import { AppError } from '../errors.js';
import type { RateLimiter } from './rate-limiter.js';

/** What a route needs: a scope, or nothing (`public`). Routes that say nothing need `admin`. */
export type Access = Scope | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyInstance {
    /**
     * Whether the key a request came with still opens its route (not revoked, not expired,
     * with the scope): for long-lived answers such as `GET /v1/events`, checked again later.
     */
    stillAuthorised(request: FastifyRequest): Promise<boolean>;
  }
}

const PUBLIC_PREFIXES = ['/docs'];

/**
 * Checks the API key (`x-api-key` or `Authorization: Bearer`) and the key's rate limit
 * before the body is read. Every route's scope is published in the OpenAPI document as
 * `x-required-scope` (public routes also get `security: []`).
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyService, limiter?: RateLimiter): void {
  app.addHook('onRoute', (route) => {
    if (route.schema?.hide === true) return;
    const access = route.config?.access ?? (isPublicPath(route.url) ? 'public' : 'admin');
    const security = access === 'public' ? { security: [] } : {};
    const schema: FastifySchema & Record<string, unknown> = { ...route.schema, ...security };
    schema['x-required-scope'] = access;
    route.schema = schema;
  });
  app.decorate('stillAuthorised', async (request: FastifyRequest) => {
    const access = accessOf(request);
    if (access === 'public') return true;
    const presented = presentedKey(request);
    // A store that cannot tell counts as a no: the client reconnects and is checked afresh.
    const principal = presented
      ? await keys.authenticate(presented).catch((error: unknown) => {
          request.log.warn({ err: error }, 'cannot check the key of an open stream; ending it');
          return null;
        })
      : null;
    return principal !== null && allows(principal.scopes, access);
  });
  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request);
    if (access === 'public') return;
    const presented = presentedKey(request);
    if (!presented)
      throw new AppError('UNAUTHORIZED', 'An API key is required (x-api-key or Authorization: Bearer).');
    const principal = await keys.authenticate(presented);
    if (!principal) throw new AppError('UNAUTHORIZED', 'The API key is unknown, revoked or expired.');
    const rate = limiter?.take(principal.keyId, principal.rateLimitPerMinute);
    if (rate && !rate.ok) {
      void reply.header('retry-after', String(rate.retryAfterSeconds));
      throw new AppError('RATE_LIMITED', 'Too many requests for this key; retry later.', {
        details: { retry_after_seconds: rate.retryAfterSeconds },
      });
    }
    if (!allows(principal.scopes, access)) {
      throw new AppError('FORBIDDEN', `This key lacks the '${access}' scope.`, {
        details: { needed: access },
      });
    }
    request.principal = principal;
  });
}

function isPublicPath(url: string): boolean {
  return PUBLIC_PREFIXES.some((prefix) => url.startsWith(prefix));
}

function accessOf(request: FastifyRequest): Access {
  const access = request.routeOptions.config.access;
  if (access) return access;
  return isPublicPath(request.url) ? 'public' : 'admin';
}

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const authorization = request.headers.authorization;
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer;
}

/** The caller's key id, for audit fields such as `created_by`. */
export function actorOf(request: FastifyRequest): string {
  return request.principal?.keyId ?? 'anonymous';
}
