import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ValidationError, type FieldError } from '../errors.js';

const TAKES_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A `/v1` route that reads no body (an action such as `POST /v1/models/:version/activate`, or a
 * `DELETE`) refuses one, as routes that read a body refuse unknown fields: a client that sent
 * `{"version": 3}` to the wrong route, or `{"dry_run": true}` to an activation, was answered 200
 * and its fields ignored. No body at all and an empty object `{}` are accepted. Register
 * before the routes (an onRoute hook sees only those added after it).
 */
export function registerNoBodyCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/v1/') || route.schema?.body !== undefined || !takesBody(route.method)) return;
    const existing = route.preValidation ?? [];
    route.preValidation = [...(Array.isArray(existing) ? existing : [existing]), refuseBody];
  });
}

function takesBody(method: RouteOptions['method']): boolean {
  return (Array.isArray(method) ? method : [method]).some((m) => TAKES_BODY.has(m));
}

function refuseBody(request: FastifyRequest): Promise<void> {
  const fields = bodyFields(request.body);
  return fields.length === 0 ? Promise.resolve() : Promise.reject(new ValidationError(fields));
}

/** Field errors for a body sent to a route that reads none; none for no body or `{}`. */
function bodyFields(body: unknown): FieldError[] {
  if (body === undefined || body === null) return [];
  if (typeof body !== 'object' || Array.isArray(body))
    return [{ field: '', code: 'type', message: 'The body must be empty or {}: this route reads no body.' }];
  return Object.keys(body).map((key) => ({
    field: key,
    code: 'additionalProperties',
    message: `${key} is not a known field: this route reads no body.`,
  }));
}
