import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ValidationError } from '../errors.js';
import { NUL_CHARACTER, nulCharacterPath } from '../shared/nul-character.js';

/**
 * Refuses, on every route, a path parameter, query parameter or JSON body holding the NUL
 * character, with a 400 naming the field (PostgreSQL would refuse it as an internal error;
 * SQLite stores it, so both dialects answer alike). A callback hook: no promise per request.
 */
export function registerNulCharacterCheck(app: FastifyInstance): void {
  app.addHook('preValidation', rejectNulCharacters);
}

function rejectNulCharacters(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const field = fieldWithNul(request);
  if (field === undefined) return done();
  done(new ValidationError([{ field, ...NUL_CHARACTER, message: `${field}: ${NUL_CHARACTER.message}` }]));
}

/** Named as schema errors are: `params.id`, `querystring.from`, a body field by its path. */
function fieldWithNul(request: FastifyRequest): string | undefined {
  // The router's and the query parser's objects are not plain ones: copied into plain ones.
  const parts: [string, unknown][] = [
    ['params', { ...(request.params as object) }],
    ['querystring', { ...(request.query as object) }],
    ['', request.body],
  ];
  for (const [prefix, value] of parts) {
    const path = nulCharacterPath(value);
    if (path !== undefined) return [prefix, path].filter((p) => p !== '').join('.');
  }
  return undefined;
}
