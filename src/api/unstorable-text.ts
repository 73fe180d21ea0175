import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ValidationError, type FieldError } from '../errors.js';
import { unstorableValueIn } from '../shared/unstorable-text.js';

/**
 * Refuses, on every route, a path parameter, query parameter or JSON body holding text no
 * store can keep (a NUL character, a lone surrogate: see `shared/unstorable-text.ts`), with a
 * 400 naming the field. Multipart text fields are checked where they are read
 * (`identity/image-input.ts`). Unknown routes keep their 404. A callback hook: no promise per
 * request.
 */
export function registerUnstorableTextCheck(app: FastifyInstance): void {
  app.addHook('preValidation', rejectUnstorableText);
}

function rejectUnstorableText(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const error = request.is404 ? undefined : unstorableField(request);
  done(error && new ValidationError([error]));
}

/** Named as schema errors are: `params.id`, `querystring.from`, a body field by its path. */
function unstorableField(request: FastifyRequest): FieldError | undefined {
  const parts: [string, unknown][] = [
    ['params', plainCopy(request.params)],
    ['querystring', plainCopy(request.query)],
    ['', request.body],
  ];
  for (const [prefix, value] of parts) {
    const error = unstorableValueIn(value);
    if (error) return { ...error, field: [prefix, error.field].filter((p) => p !== '').join('.') };
  }
  return undefined;
}

/**
 * The router's and the query parser's objects are not plain ones: copied into plain ones,
 * except when empty (most requests), which are left out.
 */
function plainCopy(value: unknown): object | undefined {
  for (const _key in value as object) return { ...(value as object) };
  return undefined;
}
