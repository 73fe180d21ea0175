import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../errors.js';

/**
 * Refuses query values that AJV coerced to a non-finite number: with `coerceTypes`, AJV 8
 * turns `limit=1e309` into Infinity and lets it past `maximum`. No route can use such a
 * number (the store refuses it with an internal error), so it is a 400 naming the field.
 */
export function rejectNonFiniteQuery(request: FastifyRequest): Promise<void> {
  const query = request.query;
  if (query === null || typeof query !== 'object') return Promise.resolve();
  const fields = Object.entries(query as Record<string, unknown>)
    .filter(([, value]) => typeof value === 'number' && !Number.isFinite(value))
    .map(([name]) => {
      const field = `querystring.${name}`;
      return { field, code: 'type', message: `${field} must be a finite number` };
    });
  return fields.length > 0 ? Promise.reject(new ValidationError(fields)) : Promise.resolve();
}
