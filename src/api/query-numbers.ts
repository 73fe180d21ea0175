import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { ValidationError } from '../errors.js';
import { isDecimalText } from '../shared/decimal-text.js';

/**
 * Refuses query numbers no store can use, on every route whose querystring schema makes
 * numbers of query parameters (routes without such a parameter, like the scoring POST, pay nothing):
 * AJV (coerceTypes) turns `limit=1e309` into Infinity and lets it past `maximum`, and an
 * integer beyond 2^53 (`offset=9223372036854776000`) is neither exact in JavaScript nor
 * storable as a 64-bit integer; it also reads `0x10` as 16 and `1e3` as 1000. Each is a 400
 * naming the field (instead of an internal error from the store, or a number nobody typed):
 * query numbers are written in decimal. Register before the routes.
 */
export function registerQueryNumberCheck(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!makesNumbers(route.schema?.querystring)) return;
    const existing = route.preHandler ?? [];
    route.preHandler = [...(Array.isArray(existing) ? existing : [existing]), rejectUnsafeQueryNumbers];
  });
}

function rejectUnsafeQueryNumbers(request: FastifyRequest): Promise<void> {
  const query = request.query;
  if (query === null || typeof query !== 'object') return Promise.resolve();
  const numbers = Object.entries(query as Record<string, unknown>).filter(([, v]) => typeof v === 'number');
  if (numbers.length === 0) return Promise.resolve();
  const sent = new URLSearchParams(request.raw.url?.split('?')[1] ?? '');
  const fields = numbers
    .filter(
      ([name, value]) =>
        !(Math.abs(value as number) <= Number.MAX_SAFE_INTEGER) || !sentAsDecimal(sent.get(name)),
    )
    .map(([name]) => {
      const field = `querystring.${name}`;
      return {
        field,
        code: 'type',
        message: `${field} must be a decimal number of at most 2^53 (such as 50)`,
      };
    });
  return fields.length > 0 ? Promise.reject(new ValidationError(fields)) : Promise.resolve();
}

/**
 * Whether AJV may make a number of some parameter of this querystring schema: a property
 * typed number or integer, or a schema it cannot read at a glance (composition, references).
 */
function makesNumbers(schema: unknown): boolean {
  if (schema === undefined) return false;
  if (!isPlainSchema(schema) || !isObject(schema['properties'])) return true;
  return Object.values(schema['properties']).some(
    (property) => !isPlainSchema(property) || isNumeric(property['type']),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** A schema object without a composition keyword or a reference. */
function isPlainSchema(value: unknown): value is Record<string, unknown> {
  return isObject(value) && !['$ref', 'anyOf', 'oneOf', 'allOf', 'not', 'if'].some((k) => k in value);
}

function isNumeric(type: unknown): boolean {
  const types = Array.isArray(type) ? (type as unknown[]) : [type];
  return types.some((t) => t === 'number' || t === 'integer');
}

/** Whether a parameter's text, if it was sent (a schema default was not), is a decimal number. */
function sentAsDecimal(text: string | null): boolean {
  return text === null || isDecimalText(text);
}
